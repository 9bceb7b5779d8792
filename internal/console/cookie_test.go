package console

import (
	"strings"
	"testing"
	"time"
)

var (
	t0  = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	key = []byte("0123456789abcdef0123456789abcdef")
)

// TestSessionCookie: a sealed session opens with its key until its idle
// end or its deadline; a forged, re-keyed or expired one never does.
func TestSessionCookie(t *testing.T) {
	k := Sealer{Key: key}
	s := NewSession("ana", t0)
	v := k.Seal(s)
	got, err := k.Open(v, t0.Add(time.Minute))
	if err != nil || got.Name != "ana" || got.Actor() != "console:ana" {
		t.Fatalf("Open = %+v, %v", got, err)
	}
	forge := func(name string) string { // another name with ana's MAC
		i := strings.LastIndexByte(v, '.')
		return strings.Replace(v[:i], "YW5h", name, 1) + v[i:]
	}
	for name, tc := range map[string]struct {
		v   string
		k   Sealer
		now time.Time
	}{
		"forged name":        {forge("Ym9i"), k, t0},
		"forged expiry":      {strings.Replace(v, ".", ".9", 2), k, t0},
		"wrong key":          {v, Sealer{Key: []byte("fedcba9876543210fedcba9876543210")}, t0},
		"short key":          {v, Sealer{Key: key[:16]}, t0},
		"idle":               {v, k, t0.Add(IdleTimeout)},
		"past deadline":      {k.Seal(Session{Name: "ana", IdleEnd: t0.Add(9 * time.Hour), Deadline: t0.Add(time.Hour)}), k, t0.Add(time.Hour)},
		"no mac":             {v[:strings.LastIndexByte(v, '.')], k, t0},
		"empty":              {"", k, t0},
		"bad name, good mac": {k.Seal(Session{Name: "<script>", IdleEnd: t0.Add(time.Hour), Deadline: t0.Add(time.Hour)}), k, t0},
	} {
		if s, err := tc.k.Open(tc.v, tc.now); err == nil {
			t.Errorf("%s: opened as %+v", name, s)
		}
	}
	// Use moves the idle end, never past the deadline.
	late := s.Touched(t0.Add(MaxLifetime - time.Minute))
	if !late.IdleEnd.Equal(s.Deadline) {
		t.Errorf("Touched near the deadline: idle end %v, deadline %v", late.IdleEnd, s.Deadline)
	}
	if _, err := k.Open(k.Seal(s.Touched(t0.Add(20*time.Minute))), t0.Add(40*time.Minute)); err != nil {
		t.Errorf("a touched session ended at its old idle end: %v", err)
	}
}

func TestValidName(t *testing.T) {
	for _, n := range []string{"ana", "ana.berg@ops", "A_1-b"} {
		if !ValidName(n) {
			t.Errorf("ValidName(%q) = false", n)
		}
	}
	for _, n := range []string{"", "a b", "<script>", "ana:x", strings.Repeat("a", 65), "æ"} {
		if ValidName(n) {
			t.Errorf("ValidName(%q) = true", n)
		}
	}
}
