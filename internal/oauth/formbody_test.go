package oauth

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseForm holds parseForm to url.ParseQuery, which Request.ParseForm
// used: the same values for every body it accepts, and a failure for
// every body it refuses.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"", "&", "&&a=1&", "a", "a=", "=a", "a=1&a=2", "a=1&b=2&a=3",
		"grant_type=refresh_token&refresh_token=tgrt_abc.1.x-_y",
		"scope=openid+offline_access&x=%41%42", "a=%zz", "a%=1", "a=1;b=2", "a;=1",
		"k=%E2%82%AC&k2=+&k3=%2B", strings.Repeat("a=1&", 40), strings.Repeat("&", 40) + "a=%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got, err := parseForm(body)
		want, werr := url.ParseQuery(body)
		if (err == nil) != (werr == nil) {
			t.Fatalf("parseForm(%q) error %v, url.ParseQuery error %v", body, err, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("parseForm(%q) = %q, url.ParseQuery = %q", body, got, want)
		}
	})
}

// A repeated parameter's values do not share storage with another
// parameter's: appending to one leaves the others as they were.
func TestParseFormRepeatedKeepsOthers(t *testing.T) {
	form, err := parseForm("a=1&b=2&a=3&c=4")
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"a": {"1", "3"}, "b": {"2"}, "c": {"4"}}
	if !reflect.DeepEqual(form, want) {
		t.Fatalf("parseForm = %q, want %q", form, want)
	}
}

// spyBody hands out the body in small reads and remembers every buffer
// readForm lent it, which is the pooled buffer's memory.
type spyBody struct {
	rest string
	lent [][]byte
}

func (s *spyBody) Read(p []byte) (int, error) {
	if s.rest == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 50)], s.rest)
	s.lent = append(s.lent, p[:n])
	s.rest = s.rest[n:]
	return n, nil
}

// TestFormBodyBufferCleared: the pooled buffer a body was read into holds
// none of it once readForm returns, after a small body, a body that grew
// the buffer, and a body over the limit; so the next request to take the
// buffer cannot see this one's secrets.
func TestFormBodyBufferCleared(t *testing.T) {
	secret := "client_secret=" + strings.Repeat("S", 40) + "&refresh_token=tgrt_" + strings.Repeat("R", 90)
	for _, tc := range []struct {
		name  string
		body  string
		limit int64
	}{
		{"small", secret, maxFormBytes},
		{"grown", secret + "&pad=" + strings.Repeat("P", 5000), maxFormBytes},
		{"too large", secret + "&pad=" + strings.Repeat("P", 5000), 3000},
	} {
		spy := &spyBody{rest: tc.body}
		form, err := readForm(spy, tc.limit)
		if tc.limit < int64(len(tc.body)) {
			var tooBig *http.MaxBytesError
			if !errors.As(err, &tooBig) || tooBig.Limit != tc.limit {
				t.Fatalf("%s: err %v, want MaxBytesError with limit %d", tc.name, err, tc.limit)
			}
		} else if err != nil || form.Get("client_secret") != strings.Repeat("S", 40) {
			t.Fatalf("%s: form %q, err %v", tc.name, form, err)
		}
		if len(spy.lent) < 2 {
			t.Fatalf("%s: %d reads; the test needs several", tc.name, len(spy.lent))
		}
		for i, p := range spy.lent {
			if strings.Trim(string(p), "\x00") != "" {
				t.Errorf("%s: read %d left %q in the pooled buffer", tc.name, i, p[:min(len(p), 30)])
			}
		}
	}
}

// A token request's form is read in a handful of allocations (Request.
// ParseForm took fourteen).
func TestPostFormAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops objects under the race detector")
	}
	body := "grant_type=refresh_token&refresh_token=tgrt_" + strings.Repeat("R", 90)
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, PathToken, nil)
	r.Header.Set("Content-Type", formType)
	rd := strings.NewReader(body)
	n := testing.AllocsPerRun(100, func() {
		rd.Reset(body)
		r.Body, r.PostForm = io.NopCloser(rd), nil
		if _, err := postForm(w, r); err != nil {
			t.Fatal(err)
		}
	})
	// The body string, the map (two) and the values' backing array; the
	// NopCloser is the test's own.
	if n > 5 {
		t.Errorf("postForm: %v allocations, want at most 5", n)
	}
}
