package web

import (
	"strings"
	"testing"
)

// Every text exists in both languages, is not empty, and keeps its
// placeholders; a key missing from a table would also fail the page renders
// (missingkey=error).
func TestTextsComplete(t *testing.T) {
	if len(texts) != 2 {
		t.Fatalf("texts has %d languages, want nb and en", len(texts))
	}
	for _, l := range bothLangs {
		other := EN
		if l == EN {
			other = NB
		}
		for k, v := range texts[l] {
			w, ok := texts[other][k]
			if !ok {
				t.Errorf("key %q is in %s but not in %s", k, l, other)
				continue
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %q is empty", l, k)
			}
			if strings.Count(v, "{}") != strings.Count(w, "{}") {
				t.Errorf("%q: placeholders differ between %s and %s", k, l, other)
			}
		}
	}
	for s := range standardScopes {
		for _, l := range bothLangs {
			if texts[l]["scope_"+s] == "" || texts[l]["scope_"+s+"_desc"] == "" {
				t.Errorf("%s: standard scope %q has no description", l, s)
			}
		}
	}
}

func TestTextsBokmal(t *testing.T) {
	want := map[string]string{
		"login_title": "Logg inn", "username": "Brukernavn", "password": "Passord",
		"allow": "Tillat", "deny": "Avslå", "remember": "Husk valget mitt",
		"login_failed": "Brukernavnet eller passordet er feil.",
	}
	for k, v := range want {
		if texts[NB][k] != v {
			t.Errorf("nb %q = %q, want %q", k, texts[NB][k], v)
		}
	}
	if texts[EN]["login_failed"] != "The username or password is incorrect." {
		t.Errorf("en login_failed = %q", texts[EN]["login_failed"])
	}
}

func TestTfEscapes(t *testing.T) {
	got := string(tf("Hello {} & co", `<b>"x"</b>`))
	want := "Hello <strong>&lt;b&gt;&#34;x&#34;&lt;/b&gt;</strong> &amp; co"
	if got != want {
		t.Errorf("tf = %q, want %q", got, want)
	}
}

// TestAddTexts: a part's texts join the one table, and a key the table
// already holds panics, naming the part and the key, and replaces nothing.
func TestAddTexts(t *testing.T) {
	t.Cleanup(func() { delete(texts[NB], "test_added"); delete(texts[EN], "test_added") })
	addTexts("test", map[Lang]map[string]string{NB: {"test_added": "lagt til"}, EN: {"test_added": "added"}})
	if Text(NB, "test_added") != "lagt til" || Text(EN, "test_added") != "added" {
		t.Fatalf("added texts: %q %q", Text(NB, "test_added"), Text(EN, "test_added"))
	}
	before := Text(EN, "login_title")
	defer func() {
		r := recover()
		if msg, _ := r.(string); !strings.Contains(msg, "test text login_title") {
			t.Errorf("adding a key already in the table: recover() = %v, want a panic naming it", r)
		}
		if Text(EN, "login_title") != before {
			t.Error("the duplicate replaced the table's text")
		}
	}()
	addTexts("test", map[Lang]map[string]string{EN: {"login_title": "replaced"}})
}
