package grant

import (
	"slices"
	"testing"
)

// A refresh that sends no scope, from a client that still has every
// scope of its grant, takes the grant's scopes without copying them; and
// what it gets cannot write into the grant's array by appending.
func TestNarrowScopeAbsentNoCopy(t *testing.T) {
	granted := []string{"openid", "profile", "offline_access", "api"}
	spare := append(slices.Clone(granted), "spare")[:len(granted)] // room to append into
	n := testing.AllocsPerRun(100, func() {
		if _, err := narrowScope(polConfidential, spare, Request{}); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("narrowScope(absent, all allowed): %v allocations, want 0", n)
	}
	got, _ := narrowScope(polConfidential, spare, Request{})
	if !slices.Equal(got, granted) {
		t.Fatalf("narrowScope = %q, want %q", got, granted)
	}
	_ = append(got, "added")
	if spare[:5][4] != "spare" {
		t.Error("appending to the narrowed scope wrote into the grant's array")
	}
}
