package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestConsoleTemplatesHaveNoLiterals: every word a console template shows
// comes from the text table. With the template actions and the tags
// removed, what is left of each template is punctuation, and the few
// identifiers that read the same in both languages.
func TestConsoleTemplatesHaveNoLiterals(t *testing.T) {
	actions := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	tags := regexp.MustCompile(`(?s)<[^>]*>`)
	words := regexp.MustCompile(`[\p{L}]{2,}`)
	allowed := map[string]bool{"ok": true} // the outcome's name, as the audit trail's kinds beside it
	names, err := fs.Glob(consoleFS, "templates/console/*.html")
	if err != nil || len(names) < 9 {
		t.Fatalf("console templates: %v %v", names, err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(consoleFS, n)
		if err != nil {
			t.Fatal(err)
		}
		text := tags.ReplaceAllString(actions.ReplaceAllString(string(b), " "), " ")
		for _, w := range words.FindAllString(text, -1) {
			if !allowed[w] {
				t.Errorf("%s: the literal %q is not from the text table", n, w)
			}
		}
	}
}

// TestConsoleTextsInTheTable: the console's texts are in the one table,
// in both languages (TestTextsComplete checks they match), and read
// through Text.
func TestConsoleTextsInTheTable(t *testing.T) {
	keys := ConsoleTextKeys()
	if len(keys) < 50 {
		t.Fatalf("%d console texts", len(keys))
	}
	for _, k := range keys {
		if _, ok := consoleTexts[NB][k]; !ok {
			t.Errorf("console text %q has no bokmål", k)
		}
		if Text(NB, k) != consoleTexts[NB][k] || Text(EN, k) != consoleTexts[EN][k] {
			t.Errorf("console text %q is not in the table", k)
		}
	}
	if len(consoleTexts[NB]) != len(consoleTexts[EN]) {
		t.Errorf("console texts: %d in nb, %d in en", len(consoleTexts[NB]), len(consoleTexts[EN]))
	}
	if got := TextWith(NB, "console_done_revoked", "3"); !strings.HasPrefix(got, "Tilbakekalte 3 grants") {
		t.Errorf("TextWith = %q", got)
	}
	if Text("xx", "console_title") != consoleTexts[EN]["console_title"] {
		t.Error("an unknown language does not read as English")
	}
}
