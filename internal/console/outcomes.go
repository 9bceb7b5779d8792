package console

import (
	"context"
	"sort"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Outcome is a count of one kind of refused refresh (or revocation) of a
// client's grants over the window.
type Outcome struct {
	Kind, Reason string
	Count        int
	Capped       bool // more events than the console reads: Count is a floor
}

// maxOutcomeEvents bounds the events a client page reads per kind; past
// it the page says "at least".
const maxOutcomeEvents = 5 * store.MaxEventLimit

// refusals counts the client's refresh_refused (by reason),
// reuse_detected and revoked events since `since`, from the audit trail
// (keyset-paged by the store, newest first).
func (c *Console) refusals(ctx context.Context, clientID string, since time.Time) ([]Outcome, error) {
	var out []Outcome
	for _, kind := range []string{store.EventRefreshRefused, store.EventReuseDetected, store.EventRevoked} {
		counts := map[string]int{}
		f := store.EventFilter{ClientID: clientID, Kind: kind, Since: since, Limit: store.MaxEventLimit}
		read, capped := 0, false
		for {
			evs, next, err := c.Store.Events(ctx, f)
			if err != nil {
				return nil, err
			}
			for _, ev := range evs {
				counts[ev.Reason]++
			}
			read += len(evs)
			if next == "" {
				break
			}
			if read >= maxOutcomeEvents {
				capped = true
				break
			}
			f.After = next
		}
		if len(counts) == 0 {
			out = append(out, Outcome{Kind: kind, Reason: "–"})
		}
		reasons := make([]string, 0, len(counts))
		for r := range counts {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		for _, r := range reasons {
			shown := r
			if shown == "" {
				shown = "–"
			}
			out = append(out, Outcome{Kind: kind, Reason: shown, Count: counts[r], Capped: capped})
		}
	}
	return out, nil
}

// maxOKScan bounds the live grants the "ok" count walks.
const maxOKScan = 10 * store.MaxGrantPage

// refreshed counts the client's live grants whose newest refresh token
// was issued by a rotation (generation above 0) at or after since: the
// grants refreshed successfully in the window, at least once. Successful
// refreshes are not in the audit trail (the hot path writes nothing), so
// this is the closest count the store holds. It walks at most maxOKScan
// live grants, keyset-paged, and says so when it stopped early.
func (c *Console) refreshed(ctx context.Context, clientID string, since, now time.Time) (ok, scanned int, capped bool, err error) {
	q := store.GrantQuery{GrantFilter: store.GrantFilter{ClientID: clientID}, Live: true, Now: now, Limit: store.MaxGrantPage}
	for {
		sums, next, err := c.Store.ListGrants(ctx, q)
		if err != nil {
			return 0, 0, false, err
		}
		for _, s := range sums {
			if s.Generation > 0 && !s.LastUsed.Before(since) {
				ok++
			}
		}
		scanned += len(sums)
		if next == "" {
			return ok, scanned, false, nil
		}
		if scanned >= maxOKScan {
			return ok, scanned, true, nil
		}
		q.After = next
	}
}
