package refresh

import (
	"context"
	"errors"

	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// SetNode names the node this service runs on: each refresh token it
// issues records it (store.RefreshToken.Node), with the address and user
// agent of the request, so an operator can follow a grant across nodes.
// Call it before the service is shared.
func (s *Service) SetNode(name string) { s.node = name }

// lineage fills where the request that issues t came from: this node, the
// client's address (trusted-proxy rules) and its User-Agent, from ctx (""
// outside an HTTP request). Two strings the request already holds: no
// store round trip, no allocation beyond a cut User-Agent.
func (s *Service) lineage(ctx context.Context, t *store.RefreshToken) {
	t.Node, t.RemoteAddr, t.UserAgent = s.node, reqlog.RemoteAddr(ctx), reqlog.UserAgent(ctx)
}

// GrantOf returns the grant a presented refresh token belongs to, whoever
// it was issued to, for an operator who holds a token value and wants its
// grant revoked (the admin API). A named token whose row is gone (a
// consumed one, two rotations on) still names its grant. An unknown or
// malformed value gives ErrUnknown. The value is never logged.
func (s *Service) GrantOf(ctx context.Context, presented string) (store.Grant, error) {
	pt, ok := s.read(presented)
	if !ok {
		return store.Grant{}, ErrUnknown
	}
	_, g, err := s.lookup(ctx, pt)
	if errors.Is(err, ErrUnknown) && pt.form == mint.NamedRefresh {
		g, _, err = s.store.GrantChain(ctx, pt.name.GrantID)
		if errors.Is(err, store.ErrNotFound) {
			err = ErrUnknown
		}
	}
	if err != nil {
		return store.Grant{}, err
	}
	return g, nil
}
