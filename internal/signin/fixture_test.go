package signin_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/signin"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
	"github.com/tollgate-oidc/tollgate/internal/testclock"
)

// clock is the injected clock the tests move by hand.
type clock = testclock.Clock

// users is the configuration's users, looked up by subject.
type users []*config.User

func (us users) UserBySubject(_ context.Context, sub string) (*config.User, error) {
	for _, u := range us {
		if u.Subject == sub {
			return u, nil
		}
	}
	return nil, nil
}

const lifetime = 8 * time.Hour

type fixture struct {
	st    *memstore.Store
	clk   *clock
	svc   *signin.Service
	rf    *refresh.Service
	ctx   context.Context
	alice *config.User
	bob   *config.User
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := testclock.At(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	st := memstore.New()
	alice := &config.User{Subject: "sub-alice", Username: "alice"}
	bob := &config.User{Subject: "sub-bob", Username: "bob", Disabled: true}
	rf := refresh.New(st, mint.NewRefreshKeys([]byte("0123456789abcdef0123456789abcdef")), clk.Now, slog.New(slog.DiscardHandler))
	return &fixture{st: st, clk: clk, rf: rf, ctx: context.Background(), alice: alice, bob: bob,
		svc: &signin.Service{Store: st, Users: users{alice, bob}, Revoker: rf, Now: clk.Now, Node: "node-a", SessionLifetime: lifetime}}
}
