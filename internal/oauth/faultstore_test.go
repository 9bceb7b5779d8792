package oauth_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// faultStore wraps a store and fails the calls a test chooses, the way a
// backend reports a database it cannot reach: an error wrapping
// store.ErrUnavailable (or a deadline that ran out). Every other call goes
// through. The real fault, a PostgreSQL server stopped under load, is the
// end-to-end tests'.
type faultStore struct {
	store.Store
	mu   sync.Mutex
	fail func(op string) error // nil: every call goes through
}

// down makes every call fail with err (nil: back up).
func (f *faultStore) down(err error) {
	f.failOnly(err)
}

// failOnly makes the named calls fail with err, and no others; with no
// names, every call.
func (f *faultStore) failOnly(err error, ops ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		f.fail = nil
		return
	}
	f.fail = func(op string) error {
		if len(ops) == 0 {
			return fmt.Errorf("fakedb: %s: %w", op, err)
		}
		for _, o := range ops {
			if o == op {
				return fmt.Errorf("fakedb: %s: %w", op, err)
			}
		}
		return nil
	}
}

func (f *faultStore) check(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail == nil {
		return nil
	}
	return f.fail(op)
}

// errDown is what a backend returns for a refused connection.
var errDown = fmt.Errorf("dial tcp 127.0.0.1:5432: connect: connection refused: %w", store.ErrUnavailable)

func (f *faultStore) CreateGrant(ctx context.Context, g store.Grant, first store.RefreshToken, ev store.Event) error {
	if err := f.check("CreateGrant"); err != nil {
		return err
	}
	return f.Store.CreateGrant(ctx, g, first, store.Event{})
}

func (f *faultStore) GrantChain(ctx context.Context, id string) (store.Grant, int, error) {
	if err := f.check("GrantChain"); err != nil {
		return store.Grant{}, 0, err
	}
	return f.Store.GrantChain(ctx, id)
}

func (f *faultStore) RefreshToken(ctx context.Context, grantID, hash string) (store.RefreshToken, store.Grant, error) {
	if err := f.check("RefreshToken"); err != nil {
		return store.RefreshToken{}, store.Grant{}, err
	}
	return f.Store.RefreshToken(ctx, grantID, hash)
}

func (f *faultStore) RotateRefreshToken(ctx context.Context, oldHash string, at time.Time, next store.RefreshToken) error {
	if err := f.check("RotateRefreshToken"); err != nil {
		return err
	}
	return f.Store.RotateRefreshToken(ctx, oldHash, at, next)
}

func (f *faultStore) ExtendRefreshToken(ctx context.Context, grantID, hash string, exp time.Time) error {
	if err := f.check("ExtendRefreshToken"); err != nil {
		return err
	}
	return f.Store.ExtendRefreshToken(ctx, grantID, hash, exp)
}

func (f *faultStore) RevokeGrant(ctx context.Context, id string, at time.Time, ev store.Event) (bool, error) {
	if err := f.check("RevokeGrant"); err != nil {
		return false, err
	}
	return f.Store.RevokeGrant(ctx, id, at, store.Event{})
}

func (f *faultStore) RevokeGrants(ctx context.Context, fl store.GrantFilter, at time.Time, ev store.Event) (int, error) {
	if err := f.check("RevokeGrants"); err != nil {
		return 0, err
	}
	return f.Store.RevokeGrants(ctx, fl, at, store.Event{})
}

func (f *faultStore) RevokeGrantOrTombstone(ctx context.Context, tomb store.Grant, at time.Time, ev store.Event) (store.Revocation, error) {
	if err := f.check("RevokeGrantOrTombstone"); err != nil {
		return 0, err
	}
	return f.Store.RevokeGrantOrTombstone(ctx, tomb, at, store.Event{})
}

func (f *faultStore) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	if err := f.check("CreateAuthCode"); err != nil {
		return err
	}
	return f.Store.CreateAuthCode(ctx, c)
}

func (f *faultStore) AuthCode(ctx context.Context, hash string) (store.AuthCode, error) {
	if err := f.check("AuthCode"); err != nil {
		return store.AuthCode{}, err
	}
	return f.Store.AuthCode(ctx, hash)
}

func (f *faultStore) ConsumeAuthCode(ctx context.Context, hash string, at time.Time, grantID string) (store.AuthCode, error) {
	if err := f.check("ConsumeAuthCode"); err != nil {
		return store.AuthCode{}, err
	}
	return f.Store.ConsumeAuthCode(ctx, hash, at, grantID)
}

func (f *faultStore) UseJTI(ctx context.Context, clientID, jti string, exp, now time.Time) error {
	if err := f.check("UseJTI"); err != nil {
		return err
	}
	return f.Store.UseJTI(ctx, clientID, jti, exp, now)
}

func (f *faultStore) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	if err := f.check("CreateAuthRequest"); err != nil {
		return err
	}
	return f.Store.CreateAuthRequest(ctx, r)
}

func (f *faultStore) AuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	if err := f.check("AuthRequest"); err != nil {
		return store.AuthRequest{}, err
	}
	return f.Store.AuthRequest(ctx, id)
}

func (f *faultStore) ConsumeAuthRequest(ctx context.Context, id string, at time.Time) (store.AuthRequest, error) {
	if err := f.check("ConsumeAuthRequest"); err != nil {
		return store.AuthRequest{}, err
	}
	return f.Store.ConsumeAuthRequest(ctx, id, at)
}

func (f *faultStore) CreateSession(ctx context.Context, s store.Session, ev store.Event) error {
	if err := f.check("CreateSession"); err != nil {
		return err
	}
	return f.Store.CreateSession(ctx, s, store.Event{})
}

func (f *faultStore) Session(ctx context.Context, id string) (store.Session, error) {
	if err := f.check("Session"); err != nil {
		return store.Session{}, err
	}
	return f.Store.Session(ctx, id)
}

func (f *faultStore) DeleteSession(ctx context.Context, id string) error {
	if err := f.check("DeleteSession"); err != nil {
		return err
	}
	return f.Store.DeleteSession(ctx, id)
}

func (f *faultStore) SaveConsent(ctx context.Context, c store.Consent) error {
	if err := f.check("SaveConsent"); err != nil {
		return err
	}
	return f.Store.SaveConsent(ctx, c)
}

func (f *faultStore) Consent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	if err := f.check("Consent"); err != nil {
		return store.Consent{}, err
	}
	return f.Store.Consent(ctx, subject, clientID)
}

func (f *faultStore) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	if err := f.check("SigningKeys"); err != nil {
		return nil, err
	}
	return f.Store.SigningKeys(ctx)
}

func (f *faultStore) AddSigningKey(ctx context.Context, k store.SigningKey, ev store.Event) error {
	if err := f.check("AddSigningKey"); err != nil {
		return err
	}
	return f.Store.AddSigningKey(ctx, k, store.Event{})
}

func (f *faultStore) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	if err := f.check("DeleteExpired"); err != nil {
		return 0, err
	}
	return f.Store.DeleteExpired(ctx, before)
}

func (f *faultStore) TakeLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if err := f.check("TakeLease"); err != nil {
		return false, err
	}
	return f.Store.TakeLease(ctx, name, holder, now, ttl)
}

func (f *faultStore) Ping(ctx context.Context) error {
	if err := f.check("Ping"); err != nil {
		return err
	}
	return f.Store.Ping(ctx)
}

var _ store.Store = (*faultStore)(nil)
