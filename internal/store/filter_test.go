package store

import (
	"slices"
	"testing"
)

// A batched revocation walks the index of the first column: it must be the
// most selective one set, or signing one session out of a big client walks
// every grant of the client.
func TestGrantFilterColumnsMostSelectiveFirst(t *testing.T) {
	for _, tc := range []struct {
		f    GrantFilter
		want []GrantColumn
	}{
		{GrantFilter{}, nil},
		{GrantFilter{ClientID: "c"}, []GrantColumn{{"client_id", "c"}}},
		{GrantFilter{ClientID: "c", SessionID: "s"}, []GrantColumn{{"session_id", "s"}, {"client_id", "c"}}},
		{GrantFilter{ClientID: "c", Subject: "u"}, []GrantColumn{{"subject", "u"}, {"client_id", "c"}}},
		{GrantFilter{ClientID: "c", Subject: "u", SessionID: "s"},
			[]GrantColumn{{"session_id", "s"}, {"subject", "u"}, {"client_id", "c"}}},
	} {
		if got := tc.f.Columns(); !slices.Equal(got, tc.want) {
			t.Errorf("%+v.Columns() = %v, want %v", tc.f, got, tc.want)
		}
	}
}
