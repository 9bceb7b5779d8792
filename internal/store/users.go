package store

import (
	"context"
	"encoding/json"
	"time"
)

// User is a user managed at runtime (the admin API and `tollgate users`),
// beside the read-only users of the configuration file. The store holds
// the password only as its argon2id PHC string (secret.HashPassword),
// never the password.
type User struct {
	// Subject is the user's sub: chosen at creation (generated when not
	// given), unique, never changed and never reused.
	Subject      string
	Username     string // unique; the key of every change
	PasswordHash string // PHC string; "" when the user has no password yet
	// Claims is a JSON object of the user's claims (OIDC Core §5.1), "{}"
	// when none.
	Claims    json.RawMessage
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UserUpdate is one change to a user: each field set is applied, the
// others are left as they are.
type UserUpdate struct {
	Disabled     *bool
	PasswordHash *string
	Claims       json.RawMessage // nil: unchanged
}

// UserStore keeps the users managed at runtime. Users are read at every
// request that needs one, never cached across requests, so a change made
// through one node is in force on every node at its next request.
type UserStore interface {
	// CreateUser stores a new user and writes ev in the same transaction;
	// ErrConflict when the username or the subject is taken.
	CreateUser(ctx context.Context, u User, ev Event) error
	// UserByUsername returns a user, or ErrNotFound.
	UserByUsername(ctx context.Context, username string) (User, error)
	// UserBySubject returns a user, or ErrNotFound.
	UserBySubject(ctx context.Context, subject string) (User, error)
	// ListUsers returns at most limit users whose username sorts after
	// `after` ("" for the first page), in username order.
	ListUsers(ctx context.Context, after string, limit int) ([]User, error)
	// UpdateUser applies up to the user named username, sets UpdatedAt to
	// at and writes ev, in one transaction, and returns the user as
	// stored; ErrNotFound when there is no such user.
	UpdateUser(ctx context.Context, username string, up UserUpdate, at time.Time, ev Event) (User, error)
}

// Reasons of an EventUserChanged.
const (
	UserCreated     = "created"
	UserDisabled    = "disabled"
	UserEnabled     = "enabled"
	UserPasswordSet = "password_set"
	UserClaimsSet   = "claims_set"
)

// NoClaims is the Claims of a user who has none.
var NoClaims = json.RawMessage("{}")
