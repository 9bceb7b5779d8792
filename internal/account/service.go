package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Store is the part of the store the account page reads and writes.
type Store interface {
	ListGrants(ctx context.Context, q store.GrantQuery) ([]store.GrantSummary, string, error)
	GrantChain(ctx context.Context, id string) (store.Grant, int, error)
	ListConsents(ctx context.Context, subject string) ([]store.Consent, error)
	DeleteConsent(ctx context.Context, subject, clientID string, ev store.Event) (bool, error)
}

// Revoker revokes a grant: refresh.Service, so every revocation is counted
// and audited in one place.
type Revoker interface {
	RevokeGrant(ctx context.Context, grantID, by string) (bool, error)
}

// Clients finds a client by id, for its name (internal/directory).
type Clients interface {
	Client(id string) (*config.Client, bool)
}

// ErrNotYours is a grant or consent that does not exist or is another
// person's: the page answers both with one 404, and changes nothing.
var ErrNotYours = errors.New("account: no such grant or consent of yours")

// RevokedBy is the source a person's removal is counted and audited under
// (refresh.ByUser).
const RevokedBy = refresh.ByUser

// PageSize is how many applications one page shows.
const PageSize = 25

// maxScan bounds the store pages one page of applications reads while it
// skips grants without offline_access.
const maxScan = 8

// Service holds the rules of the account page.
type Service struct {
	Store   Store
	Revoke  Revoker
	Clients Clients
	Now     func() time.Time
	Node    string // this node's name, on the trail's consent_withdrawn
}

// App is one application holding offline access for the person.
type App struct {
	store.GrantSummary
	Name string // the client's name, else its id
}

// Apps returns a page of the applications holding offline access for sub:
// live grants (neither revoked nor past their absolute expiry) whose scopes
// include offline_access (OpenID Connect Core §11), in grant id order after
// the cursor after, and the cursor of the next page ("" after the last).
func (s *Service) Apps(ctx context.Context, sub, after string) ([]App, string, error) {
	if sub == "" {
		return nil, "", ErrNotYours
	}
	var out []App
	cursor := after
	for range maxScan {
		page, next, err := s.Store.ListGrants(ctx, store.GrantQuery{GrantFilter: store.GrantFilter{Subject: sub},
			Live: true, Now: s.Now(), Limit: PageSize - len(out), After: cursor})
		if err != nil {
			return nil, "", fmt.Errorf("account: list grants: %w", err)
		}
		for _, g := range page {
			if g.Subject != sub || !slices.Contains(g.Scopes, config.ScopeOfflineAccess) {
				continue
			}
			out = append(out, App{GrantSummary: g, Name: s.name(g.ClientID)})
		}
		cursor = next
		if next == "" || len(out) >= PageSize {
			break
		}
	}
	return out, cursor, nil
}

// Remove revokes grant id of sub through the refresh service ("user"), so the
// application's next refresh is refused (invalid_grant, RFC 6749 §5.2). A
// grant that is unknown, another person's or already revoked is
// ErrNotYours, and nothing is revoked. It returns the grant, for its client.
func (s *Service) Remove(ctx context.Context, sub, id string) (store.Grant, error) {
	g, _, err := s.Store.GrantChain(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Grant{}, ErrNotYours
	case err != nil:
		return store.Grant{}, fmt.Errorf("account: read grant: %w", err)
	}
	if sub == "" || g.Subject != sub || g.Revoked() {
		return store.Grant{}, ErrNotYours
	}
	ok, err := s.Revoke.RevokeGrant(ctx, id, RevokedBy)
	if err != nil {
		return store.Grant{}, err
	}
	if !ok { // revoked meanwhile, by someone else
		return store.Grant{}, ErrNotYours
	}
	return g, nil
}

// Consent is one remembered consent with its client's name.
type Consent struct {
	store.Consent
	Name string
}

// Consents returns the consents of sub that are still in force.
func (s *Service) Consents(ctx context.Context, sub string) ([]Consent, error) {
	if sub == "" {
		return nil, ErrNotYours
	}
	all, err := s.Store.ListConsents(ctx, sub)
	if err != nil {
		return nil, fmt.Errorf("account: list consents: %w", err)
	}
	now := s.Now()
	out := make([]Consent, 0, len(all))
	for _, c := range all {
		if c.Subject != sub || !c.Live(now) {
			continue
		}
		out = append(out, Consent{Consent: c, Name: s.name(c.ClientID)})
	}
	return out, nil
}

// Forget removes sub's remembered consent for clientID, so the next sign-in
// to that client asks again. None is ErrNotYours.
func (s *Service) Forget(ctx context.Context, sub, clientID string) error {
	if sub == "" {
		return ErrNotYours
	}
	// On the trail as the person's own act, written with the delete.
	ev := audit.By(ctx, audit.Event(ctx, s.Now(), s.Node, store.EventConsentWithdrawn), audit.ActorUser, sub)
	ok, err := s.Store.DeleteConsent(ctx, sub, clientID, ev)
	if err != nil {
		return fmt.Errorf("account: forget consent: %w", err)
	}
	if !ok {
		return ErrNotYours
	}
	return nil
}

// name is what to call a client: its name, else its id.
func (s *Service) name(clientID string) string {
	if s.Clients != nil {
		if c, ok := s.Clients.Client(clientID); ok && c.Name != "" {
			return c.Name
		}
	}
	return clientID
}

// Known returns the name of a client that exists, for the page's notices.
func (s *Service) Known(clientID string) (string, bool) {
	if clientID == "" || s.Clients == nil {
		return "", false
	}
	if _, ok := s.Clients.Client(clientID); !ok {
		return "", false
	}
	return s.name(clientID), true
}

// SessionLabel is a short, stable label of a browser session for the page:
// eight hex digits of a hash of its id, so two grants of one session show
// the same label and the id itself is not shown. "" for no session.
func SessionLabel(sid string) string {
	if sid == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("tollgate/session-label\x00" + sid))
	return hex.EncodeToString(sum[:4])
}
