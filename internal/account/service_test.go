package account

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

var policy = refresh.Policy{Rotation: config.RotationOneTime, IdleLifetime: 24 * time.Hour, MaxLifetime: 72 * time.Hour}

type fixture struct {
	st  *memstore.Store
	now time.Time
	rf  *refresh.Service
	svc *Service
}

type clientMap map[string]*config.Client

func (m clientMap) Client(id string) (*config.Client, bool) { c, ok := m[id]; return c, ok }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{st: memstore.New(), now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	f.rf = refresh.New(f.st, mint.NewRefreshKeys([]byte("0123456789abcdef0123456789abcdef")), clock, slog.New(slog.DiscardHandler))
	f.rf.SetTrail(f.st, "node-1")
	f.svc = &Service{Store: f.st, Revoke: f.rf, Now: clock,
		Clients: clientMap{"journal": {ID: "journal", Name: "Journal"}, "cli": {ID: "cli"}}}
	return f
}

// issue gives client a grant of subject's through the refresh lifecycle.
func (f *fixture) issue(t *testing.T, client, subject string, scopes ...string) refresh.Issued {
	t.Helper()
	iss, err := f.rf.Issue(context.Background(), store.Grant{ClientID: client, Subject: subject, Scopes: scopes,
		AuthTime: f.now, SessionID: "sid-" + subject}, refresh.Proof{}, policy)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// The page shows the person's own live grants with offline access, named
// by their client, and nothing of anyone else's.
func TestAppsAreOnlyYourOwnOfflineGrants(t *testing.T) {
	f := newFixture(t)
	mine := f.issue(t, "journal", "alice", "openid", "profile", "offline_access")
	f.issue(t, "cli", "alice", "openid", "offline_access")
	f.issue(t, "journal", "bob", "openid", "offline_access")
	f.issue(t, "journal", "alice", "openid") // no offline_access: not a standing access
	gone := f.issue(t, "cli", "alice", "openid", "offline_access")
	if _, err := f.rf.RevokeGrant(context.Background(), gone.Grant.ID, refresh.ByOperator); err != nil {
		t.Fatal(err)
	}
	apps, next, err := f.svc.Apps(context.Background(), "alice", "")
	if err != nil || next != "" {
		t.Fatalf("Apps: %v, next %q", err, next)
	}
	if len(apps) != 2 {
		t.Fatalf("got %d apps, want alice's two live offline grants: %+v", len(apps), apps)
	}
	for _, a := range apps {
		if a.Subject != "alice" || a.Revoked() {
			t.Errorf("shown: %+v", a.Grant)
		}
		if a.ID == mine.Grant.ID && (a.Name != "Journal" || a.LastUsed.IsZero()) {
			t.Errorf("Journal shown as %q, last used %v", a.Name, a.LastUsed)
		}
		if a.ClientID == "cli" && a.Name != "cli" {
			t.Errorf("a client without a name is shown as %q, want its id", a.Name)
		}
	}
	if apps, _, _ := f.svc.Apps(context.Background(), "", ""); len(apps) != 0 {
		t.Error("an empty subject saw grants")
	}
}

// Remove revokes through the refresh service, so the next refresh is
// refused, and the trail names the person; another person's grant is
// ErrNotYours and stays live.
func TestRemoveRevokesOnlyYourOwn(t *testing.T) {
	f := newFixture(t)
	alice := f.issue(t, "journal", "alice", "openid", "offline_access")
	bob := f.issue(t, "journal", "bob", "openid", "offline_access")
	ctx := audit.WithActor(context.Background(), audit.ActorUser, "alice")

	if _, err := f.svc.Remove(ctx, "alice", bob.Grant.ID); !errors.Is(err, ErrNotYours) {
		t.Fatalf("removing bob's grant as alice: %v, want ErrNotYours", err)
	}
	if _, err := f.rf.Refresh(context.Background(), bob.Token, "journal", refresh.Proof{}, policy, nil); err != nil {
		t.Fatalf("bob's refresh after alice's attempt: %v", err)
	}
	if _, err := f.svc.Remove(ctx, "alice", "no-such-grant"); !errors.Is(err, ErrNotYours) {
		t.Fatalf("unknown grant: %v", err)
	}
	g, err := f.svc.Remove(ctx, "alice", alice.Grant.ID)
	if err != nil || g.ClientID != "journal" {
		t.Fatalf("Remove: %v %+v", err, g)
	}
	if _, err := f.rf.Refresh(context.Background(), alice.Token, "journal", refresh.Proof{}, policy, nil); !errors.Is(err, refresh.ErrRevoked) {
		t.Fatalf("refresh after removal: %v, want ErrRevoked", err)
	}
	if _, err := f.svc.Remove(ctx, "alice", alice.Grant.ID); !errors.Is(err, ErrNotYours) {
		t.Fatalf("removing twice: %v, want ErrNotYours", err)
	}
	evs, _, err := f.st.Events(context.Background(), store.EventFilter{GrantID: alice.Grant.ID, Kind: store.EventRevoked})
	if err != nil || len(evs) != 1 || evs[0].Actor != audit.ActorUser || evs[0].ActorID != "alice" || evs[0].Reason != refresh.ByUser {
		t.Fatalf("audit of the removal: %+v %v", evs, err)
	}
}

// Consents: the person's own, live ones; Forget touches no one else's.
func TestConsentsAndForget(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, c := range []store.Consent{
		{Subject: "alice", ClientID: "journal", Scopes: []string{"openid"}, CreatedAt: f.now},
		{Subject: "alice", ClientID: "cli", Scopes: []string{"openid"}, CreatedAt: f.now, ExpiresAt: f.now}, // expired now
		{Subject: "bob", ClientID: "journal", Scopes: []string{"openid"}, CreatedAt: f.now},
	} {
		if err := f.st.SaveConsent(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.svc.Consents(ctx, "alice")
	if err != nil || len(got) != 1 || got[0].ClientID != "journal" || got[0].Name != "Journal" {
		t.Fatalf("Consents(alice) = %+v, %v; want only the live Journal one", got, err)
	}
	if err := f.svc.Forget(ctx, "alice", "journal"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Forget(ctx, "alice", "journal"); !errors.Is(err, ErrNotYours) {
		t.Fatalf("forgetting twice: %v", err)
	}
	if _, err := f.st.Consent(ctx, "bob", "journal"); err != nil {
		t.Fatalf("bob's consent: %v", err)
	}
	// On the trail once, as the person's own act.
	evs, _, err := f.st.Events(ctx, store.EventFilter{Kind: store.EventConsentWithdrawn})
	if err != nil || len(evs) != 1 || evs[0].Subject != "alice" || evs[0].ClientID != "journal" ||
		evs[0].Actor != audit.ActorUser || evs[0].ActorID != "alice" {
		t.Fatalf("consent_withdrawn events %+v, %v; want one by user alice for journal", evs, err)
	}
}

func TestSessionLabel(t *testing.T) {
	a, b := SessionLabel("sid-1"), SessionLabel("sid-2")
	if len(a) != 8 || a == b || a != SessionLabel("sid-1") || SessionLabel("") != "" {
		t.Fatalf("labels %q %q", a, b)
	}
}
