package app

import (
	"context"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/notify"
)

// KeyRotationLease is the store lease (store.TakeLease) whose holder runs
// the key-rotation schedule (keys.rotate_every), so that one node rotates.
const KeyRotationLease = "key-rotation"

// KeyPolicy is the signing-key policy of cfg for nodes that reload their
// keys every reloadEvery (keys.ReloadEvery when 0). The CLI uses it too,
// so a key it adds activates when a server would have chosen.
func KeyPolicy(cfg *config.Config, reloadEvery time.Duration) keys.Policy {
	return keys.Policy{
		JWKSMaxAge:  cfg.Keys.JWKSMaxAge,
		ReloadEvery: reloadEvery,
		Skew:        cfg.Keys.ClockSkew,
		// Logout tokens (OIDC Back-Channel Logout) are signed too.
		TokenLifetime: max(cfg.LongestTokenLifetime(), notify.LogoutTokenLifetime),
	}
}

// RotateKeysOnce is one turn of the rotation schedule: if this node holds
// (or can take) the rotation lease, it rotates every algorithm whose key
// is due (keys.Set.RotateDue). It reports the keys it added.
func (a *App) RotateKeysOnce(ctx context.Context) ([]keys.Info, error) {
	every := a.Config.Keys.RotateEvery
	if every <= 0 {
		return nil, nil
	}
	held, err := a.Store.TakeLease(ctx, KeyRotationLease, a.NodeID, a.now(), a.sweep.lease)
	if err != nil || !held {
		return nil, err
	}
	return a.Keys.RotateDue(ctx, every)
}

// runKeyRotation calls RotateKeysOnce every sweep interval until ctx ends;
// a rotation is due at most once per rotate_every, so a minute late is
// nothing.
func (a *App) runKeyRotation(ctx context.Context) {
	if a.Config.Keys.RotateEvery <= 0 {
		return
	}
	t := time.NewTicker(a.sweep.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := a.RotateKeysOnce(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("key rotation: the scheduled rotation failed; the current keys go on signing", "error", err)
		}
	}
}
