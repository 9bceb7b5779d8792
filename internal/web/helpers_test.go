package web

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// element is one start tag of a rendered page, with the text inside it.
// golang.org/x/net/html is not in go.mod, so pages are read with
// encoding/xml in its lenient HTML mode, which our templates satisfy.
type element struct {
	Name  string
	Attr  map[string]string
	Text  string // all text inside the element, trimmed
	Order int
}

type page struct {
	status int
	header http.Header
	body   string
	els    []*element
}

func parsePage(t *testing.T, rec *httptest.ResponseRecorder) *page {
	t.Helper()
	p := &page{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
	d := xml.NewDecoder(strings.NewReader(p.body))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var open []*element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parse page: %v\n%s", err, p.body)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &element{Name: strings.ToLower(tok.Name.Local), Attr: map[string]string{}, Order: len(p.els)}
			for _, a := range tok.Attr {
				e.Attr[strings.ToLower(a.Name.Local)] = a.Value
			}
			p.els = append(p.els, e)
			open = append(open, e)
		case xml.EndElement:
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		case xml.CharData:
			for _, e := range open {
				e.Text += string(tok)
			}
		}
	}
	for _, e := range p.els {
		e.Text = strings.Join(strings.Fields(e.Text), " ")
	}
	return p
}

// find returns the elements named name whose attributes include attrs.
func (p *page) find(name string, attrs ...string) []*element {
	var out []*element
next:
	for _, e := range p.els {
		if e.Name != name {
			continue
		}
		for i := 0; i+1 < len(attrs); i += 2 {
			if v, ok := e.Attr[attrs[i]]; !ok || v != attrs[i+1] {
				continue next
			}
		}
		out = append(out, e)
	}
	return out
}

func (p *page) one(t *testing.T, name string, attrs ...string) *element {
	t.Helper()
	got := p.find(name, attrs...)
	if len(got) != 1 {
		t.Fatalf("want exactly one <%s %v>, found %d", name, attrs, len(got))
	}
	return got[0]
}

func has(e *element, attr string) bool { _, ok := e.Attr[attr]; return ok }

// renderPage runs one render into a recorder and parses the result.
func renderPage(t *testing.T, f func(w http.ResponseWriter) error) *page {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := f(rec); err != nil {
		t.Fatalf("render: %v", err)
	}
	return parsePage(t, rec)
}

var bothLangs = []Lang{NB, EN}
