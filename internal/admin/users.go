package admin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/directory"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Users: list, show, create, disable, enable, set the password, set the
// claims. Users of the configuration file are listed and shown (source
// "config") but never changed here: 409, change the file. Nothing here
// ever answers or logs a password or its hash.

// MinPasswordLength is the least number of characters of a password set
// through the admin API (NIST SP 800-63B §3.1.1.2 asks for at least 8;
// an operator-set password has no second factor behind it, so 12).
const MinPasswordLength = 12

// maxPasswordLength bounds what is hashed: argon2id takes any length, but
// a megabyte password is a mistake or an attack, never a password.
const maxPasswordLength = 1024

func (a *API) userRoutes() []route {
	p := PathAPI + "/users"
	return []route{
		{"GET " + p, a.listUsers},
		{"POST " + p, a.createUser},
		{"GET " + p + "/{username}", a.showUser},
		{"POST " + p + "/{username}/disable", a.disableUser},
		{"POST " + p + "/{username}/enable", a.enableUser},
		{"PUT " + p + "/{username}/password", a.setUserPassword},
		{"PUT " + p + "/{username}/claims", a.setUserClaims},
	}
}

// UserView is a user as the API shows it: never the password or its hash.
type UserView struct {
	Username    string         `json:"username"`
	Subject     string         `json:"subject"`
	Source      string         `json:"source"` // "config" (read-only) or "store"
	Disabled    bool           `json:"disabled"`
	HasPassword bool           `json:"has_password"`
	Claims      map[string]any `json:"claims"`
	CreatedAt   *time.Time     `json:"created_at,omitempty"` // store users only
	UpdatedAt   *time.Time     `json:"updated_at,omitempty"`
	// GrantsRevoked is how many grants a disable with revoke_grants=true revoked.
	GrantsRevoked *int `json:"grants_revoked,omitempty"`
}

func configUserView(u *config.User) UserView {
	c := u.Claims
	if c == nil {
		c = map[string]any{}
	}
	return UserView{Username: u.Username, Subject: u.Subject, Source: "config", Disabled: u.Disabled,
		HasPassword: u.PasswordHash != "", Claims: c}
}

func storeUserView(su store.User) (UserView, error) {
	u, err := directory.AsConfigUser(su)
	if err != nil {
		return UserView{}, err
	}
	v := configUserView(u)
	v.Source = "store"
	v.CreatedAt, v.UpdatedAt = &su.CreatedAt, &su.UpdatedAt
	return v, nil
}

func (a *API) listUsers(r *http.Request) (any, error) {
	page, err := PageOf(r)
	if err != nil {
		return nil, err
	}
	// One page in username order across both sources: the file's users
	// after the cursor, and one store page (one more than asked, to know
	// whether there is a next). A store user shadowed by a file user of
	// the same name is the file's.
	var all []UserView
	for i := range a.Config.Users {
		if u := &a.Config.Users[i]; u.Username > page.After {
			all = append(all, configUserView(u))
		}
	}
	sus, err := a.Store.ListUsers(r.Context(), page.After, page.Limit+1)
	if err != nil {
		return nil, err
	}
	for _, su := range sus {
		if _, shadowed := a.Config.User(su.Username); shadowed {
			continue
		}
		v, err := storeUserView(su)
		if err != nil {
			return nil, err
		}
		all = append(all, v)
	}
	slices.SortFunc(all, func(x, y UserView) int { return strings.Compare(x.Username, y.Username) })
	out := struct {
		Items []UserView `json:"items"`
		Next  string     `json:"next"`
	}{Items: all}
	if len(all) > page.Limit {
		out.Items = all[:page.Limit]
		out.Next = out.Items[page.Limit-1].Username
	}
	if out.Items == nil {
		out.Items = []UserView{}
	}
	return out, nil
}

func (a *API) showUser(r *http.Request) (any, error) {
	name := r.PathValue("username")
	if u, ok := a.Config.User(name); ok {
		return configUserView(u), nil
	}
	su, err := a.Store.UserByUsername(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, NotFound("no user is named %q", name)
	}
	if err != nil {
		return nil, err
	}
	return storeUserView(su)
}

// newUser is the body of POST /users.
type newUser struct {
	Username string          `json:"username"`
	Password *string         `json:"password"`
	Subject  string          `json:"subject"`
	Claims   json.RawMessage `json:"claims"`
}

func (a *API) createUser(r *http.Request) (any, error) {
	var in newUser
	if err := DecodeJSON(r, &in); err != nil {
		return nil, err
	}
	if err := checkUsername(in.Username); err != nil {
		return nil, err
	}
	u := store.User{Username: in.Username, Subject: in.Subject, Claims: store.NoClaims}
	if u.Subject == "" {
		u.Subject = newSubject()
	} else if !config.ValidSubject(u.Subject) {
		return nil, BadRequest("subject must be at most 255 printable ASCII characters without spaces (OIDC Core §2)")
	}
	if in.Password != nil {
		h, err := hashNewPassword(*in.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
	}
	if in.Claims != nil {
		c, err := checkClaims(in.Claims)
		if err != nil {
			return nil, err
		}
		u.Claims = c
	}
	if directory.NewUsers(a.Config, nil).InConfig(u.Username, u.Subject) {
		return nil, Conflict("the configuration file defines a user with username %q or subject %q; choose another", u.Username, u.Subject)
	}
	// RFC 9068 §5: a client's own tokens carry its id as sub, so no user
	// may have a client's id as subject (as config.checkSubjects).
	if _, ok := a.Config.Client(u.Subject); ok {
		return nil, Conflict("subject %q is the id of a client: its own access tokens would pass for this user's (RFC 9068 §5)", u.Subject)
	}
	switch _, err := a.Store.StoredClient(r.Context(), u.Subject); {
	case err == nil:
		return nil, Conflict("subject %q is the id of a client: its own access tokens would pass for this user's (RFC 9068 §5)", u.Subject)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	now := a.Now()
	u.CreatedAt, u.UpdatedAt = now, now
	if err := a.Store.CreateUser(r.Context(), u, a.userEvent(r.Context(), store.UserCreated, u.Subject)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, Conflict("a user with username %q or subject %q exists already", u.Username, u.Subject)
		}
		return nil, err
	}
	v, err := storeUserView(u)
	if err != nil {
		return nil, err
	}
	return Created{v}, nil
}

func (a *API) disableUser(r *http.Request) (any, error) {
	revoke := false
	switch q := r.URL.Query().Get("revoke_grants"); q {
	case "", "false":
	case "true":
		revoke = true
	default:
		return nil, BadRequest("revoke_grants must be true or false, not %q", q)
	}
	v, err := a.updateUser(r, store.UserDisabled, store.UserUpdate{Disabled: ptr(true)})
	if err != nil || !revoke {
		return v, err
	}
	// The user is refused at their next refresh anyway; revoking also ends
	// the grants for introspection and keeps them from coming back on enable.
	// Through the refresh service, as every admin revocation (source "admin").
	n, err := a.Refresh.RevokeMatchingBy(r.Context(), store.GrantFilter{Subject: v.Subject}, ByAdmin)
	v.GrantsRevoked = &n
	return v, err
}

func (a *API) enableUser(r *http.Request) (any, error) {
	v, err := a.updateUser(r, store.UserEnabled, store.UserUpdate{Disabled: ptr(false)})
	return v, err
}

func (a *API) setUserPassword(r *http.Request) (any, error) {
	var in struct {
		Password string `json:"password"`
	}
	if err := DecodeJSON(r, &in); err != nil {
		return nil, err
	}
	h, err := hashNewPassword(in.Password)
	if err != nil {
		return nil, err
	}
	return a.updateUser(r, store.UserPasswordSet, store.UserUpdate{PasswordHash: &h})
}

func (a *API) setUserClaims(r *http.Request) (any, error) {
	var in struct {
		Claims json.RawMessage `json:"claims"`
	}
	if err := DecodeJSON(r, &in); err != nil {
		return nil, err
	}
	if in.Claims == nil {
		return nil, BadRequest("claims is missing: give a JSON object ({} for none)")
	}
	c, err := checkClaims(in.Claims)
	if err != nil {
		return nil, err
	}
	return a.updateUser(r, store.UserClaimsSet, store.UserUpdate{Claims: c})
}

// updateUser applies up to the store user named in the path; a user of
// the configuration file is 409.
func (a *API) updateUser(r *http.Request, reason string, up store.UserUpdate) (UserView, error) {
	name := r.PathValue("username")
	if _, ok := a.Config.User(name); ok {
		return UserView{}, Conflict("user %q is defined in the configuration file: change it there and restart", name)
	}
	ctx := r.Context()
	// The subject, for the audit event: a missing user is 404 here.
	su, err := a.Store.UserByUsername(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return UserView{}, NotFound("no user is named %q", name)
	}
	if err != nil {
		return UserView{}, err
	}
	su, err = a.Store.UpdateUser(ctx, name, up, a.Now(), a.userEvent(ctx, reason, su.Subject))
	if errors.Is(err, store.ErrNotFound) {
		return UserView{}, NotFound("no user is named %q", name)
	}
	if err != nil {
		return UserView{}, err
	}
	return storeUserView(su)
}

// userEvent is the audit entry of a change to the user subject.
func (a *API) userEvent(ctx context.Context, reason, subject string) store.Event {
	ev := audit.Event(ctx, a.Now(), a.Node, store.EventUserChanged)
	ev.Reason, ev.Subject = reason, subject
	return ev
}

// checkUsername: set, at most 255 bytes of UTF-8, no control character,
// no space at either end (a name that looks like another is a trap).
func checkUsername(s string) error {
	switch {
	case s == "":
		return BadRequest("username must be set")
	case len(s) > 255 || !utf8.ValidString(s):
		return BadRequest("username must be at most 255 bytes of UTF-8")
	case strings.TrimSpace(s) != s:
		return BadRequest("username must not begin or end with a space")
	case strings.ContainsFunc(s, unicode.IsControl):
		return BadRequest("username must not hold a control character")
	case !config.APISegment(s):
		return BadRequest("username %q cannot be managed through the admin API: no \"/\", and not \".\" or \"..\"", s)
	}
	return nil
}

// hashNewPassword checks the password policy and hashes the password
// (argon2id, secret.HashPassword: what the password checks verify).
func hashNewPassword(pw string) (string, error) {
	switch n := utf8.RuneCountInString(pw); {
	case n < MinPasswordLength:
		return "", BadRequest("password must be at least %d characters long", MinPasswordLength)
	case len(pw) > maxPasswordLength:
		return "", BadRequest("password must be at most %d bytes long", maxPasswordLength)
	}
	return secret.HashPassword(pw)
}

// checkClaims: a JSON object with none of the claims the server sets.
func checkClaims(raw json.RawMessage) (json.RawMessage, error) {
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil || c == nil {
		return nil, BadRequest("claims must be a JSON object")
	}
	for name := range c {
		if config.ProtectedClaim(name) {
			return nil, BadRequest("claims.%s is set by the server and cannot be given (reserved: %s)",
				name, strings.Join(config.ProtectedClaims(), ", "))
		}
	}
	b, err := json.Marshal(c) // compact, one form whatever was sent
	return b, err
}

// newSubject is a fresh random subject: 128 bits, so never one used before.
func newSubject() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

func ptr[T any](v T) *T { return &v }
