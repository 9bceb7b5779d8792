package web

import "testing"

func TestPickLang(t *testing.T) {
	tests := []struct {
		name, ui, accept string
		want             Lang
	}{
		{"nothing", "", "", EN},
		{"ui nb", "nb", "", NB},
		{"ui nb-NO", "nb-NO", "", NB},
		{"ui no", "no", "", NB},
		{"ui nn", "nn-NO", "", NB},
		{"ui en-GB", "en-GB", "", EN},
		{"ui case", "NB-no", "", NB},
		{"ui wins over accept", "en", "nb-NO,nb;q=0.9", EN},
		{"ui wins over accept nb", "nb", "en-US,en;q=0.9", NB},
		{"ui order", "en nb", "", EN},
		{"ui first supported", "de fr-CA nb", "en", NB},
		{"ui unsupported falls to accept", "de sv", "nb;q=0.8,en;q=0.5", NB},
		{"accept nb", "", "nb-NO,nb;q=0.9,en;q=0.8", NB},
		{"accept q-values reorder", "", "en;q=0.3, nb;q=0.9", NB},
		{"accept q-values reorder en", "", "nb;q=0.2,en-GB;q=0.7", EN},
		{"accept equal q keeps order", "", "nn, en", NB},
		{"accept q=0 is refusal", "", "nb;q=0, en;q=0.1", EN},
		{"accept skips unsupported", "", "de-DE,de;q=0.9,no;q=0.5", NB},
		{"accept wildcard", "", "*", EN},
		{"accept unknown", "", "sv-SE,da;q=0.9", EN},
		{"accept garbage q", "", "nb;q=abc,en;q=0.5", EN},
		{"posix underscore", "nb_NO", "", NB},
		{"spaces", "  nb   en ", "", NB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PickLang(tt.ui, tt.accept); got != tt.want {
				t.Errorf("PickLang(%q, %q) = %q, want %q", tt.ui, tt.accept, got, tt.want)
			}
		})
	}
}
