package keys

import (
	"cmp"
	"slices"
	"time"
)

// State is where a signing key is in its life. A key is created next,
// becomes active at its activation time, is retired when its successor of
// the same algorithm becomes active, and is gone once every token it can
// have signed has expired:
//
//	next     published in the JWKS, not signing
//	active   published, signing (exactly one per algorithm)
//	retired  published, not signing: tokens it signed still verify
//	gone     neither published nor used to verify
//
// The activation time is data, stored with the key by the node that
// created it (store.SigningKey.ActivatesAt), so every node agrees on it
// whatever its configuration; only the retention after retirement is each
// node's own (Policy.Retention).
type State string

// The states of a key.
const (
	StateNext    State = "next"
	StateActive  State = "active"
	StateRetired State = "retired"
	StateGone    State = "gone"
)

// Info is one key's place in its life at some instant (Set.List).
type Info struct {
	KID         string    `json:"kid"`
	Algorithm   string    `json:"alg"`
	State       State     `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
	ActivatesAt time.Time `json:"activates_at"`
	// RetiresAt is the activation time of the key's successor; zero while
	// it has none.
	RetiresAt time.Time `json:"retires_at,omitzero"`
	// GoneAt is RetiresAt plus the retention: when the key leaves the
	// JWKS. Zero while it has no successor.
	GoneAt time.Time `json:"gone_at,omitzero"`
}

// keyTimes is what the timeline needs of a key.
type keyTimes struct {
	kid, alg               string
	createdAt, activatesAt time.Time
}

// effectiveActivation: a key stored without an activation time (before
// rotation existed, or an algorithm's first key) signs from its creation.
func effectiveActivation(created, activates time.Time) time.Time {
	if activates.IsZero() {
		return created
	}
	return activates
}

// timeline places every key at now. Per algorithm, keys are ordered by
// activation time (ties: creation time, then the larger kid last, so that
// every node orders them alike); each key retires when the one after it
// activates, and is gone retention later. The active key is the last one
// whose activation time is not after now. The result is in that order,
// algorithms in their sorted order; changesAt is the first instant after
// now at which some key changes state (zero when none will).
func timeline(keys []keyTimes, now time.Time, retention time.Duration) (out []Info, changesAt time.Time) {
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, func(a, b keyTimes) int {
		return cmp.Or(
			cmp.Compare(a.alg, b.alg),
			a.activatesAt.Compare(b.activatesAt),
			a.createdAt.Compare(b.createdAt),
			cmp.Compare(a.kid, b.kid),
		)
	})
	later := func(t time.Time) {
		if t.After(now) && (changesAt.IsZero() || t.Before(changesAt)) {
			changesAt = t
		}
	}
	out = make([]Info, len(sorted))
	for i, k := range sorted {
		in := Info{KID: k.kid, Algorithm: k.alg, CreatedAt: k.createdAt, ActivatesAt: k.activatesAt}
		if i+1 < len(sorted) && sorted[i+1].alg == k.alg {
			in.RetiresAt = sorted[i+1].activatesAt
			in.GoneAt = in.RetiresAt.Add(retention)
		}
		switch {
		case k.activatesAt.After(now):
			in.State = StateNext
		case in.RetiresAt.IsZero() || in.RetiresAt.After(now):
			in.State = StateActive
		case in.GoneAt.After(now):
			in.State = StateRetired
		default:
			in.State = StateGone
		}
		later(in.ActivatesAt)
		later(in.RetiresAt)
		later(in.GoneAt)
		out[i] = in
	}
	return out, changesAt
}
