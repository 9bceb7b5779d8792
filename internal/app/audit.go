package app

import (
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// wireAudit makes the parts that write the audit trail name this node and
// record their refusals in st (the changes' own events go in with the
// changes, whatever is wired here).
func (a *App) wireAudit(st store.Store, passwords *grant.Passwords) {
	a.Refresh.SetTrail(st, a.NodeID)
	passwords.SetTrail(st, a.NodeID)
	a.Server.Node = a.NodeID
}
