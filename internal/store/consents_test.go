package store

import (
	"testing"
	"time"
)

// A consent without an expiry lasts until withdrawn; one with an expiry is
// live until that instant and not at it or after.
func TestConsentLive(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		exp  time.Time
		live bool
	}{
		{time.Time{}, true},
		{now.Add(time.Second), true},
		{now, false},
		{now.Add(-time.Second), false},
	} {
		if got := (Consent{ExpiresAt: tc.exp}).Live(now); got != tc.live {
			t.Errorf("ExpiresAt %v at %v: Live = %v, want %v", tc.exp, now, got, tc.live)
		}
	}
}
