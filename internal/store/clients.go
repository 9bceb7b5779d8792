package store

import (
	"context"
	"time"
)

// ClientRecord is a client registered at run time (through the admin API or
// the command line) rather than in the configuration file.
type ClientRecord struct {
	ID string
	// Settings is the client's settings as a JSON object with the same
	// keys as a client in the configuration file (internal/config.Client's
	// yaml names), as the operator gave them: never a secret or its hash.
	Settings []byte
	// SecretHash is the hash of the client's secret (internal/secret's
	// scheme, the one secret_hash holds in the file), "" when the client
	// has none. The secret itself is never stored.
	SecretHash string
	Disabled   bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Version counts the writes of the record: 1 once created, +1 per
	// update. An update names the version it read (optimistic locking).
	Version int64
}

// Reasons of an EventClientChanged.
const (
	ClientCreated       = "created"
	ClientUpdated       = "updated"
	ClientDisabled      = "disabled"
	ClientEnabled       = "enabled"
	ClientSecretRotated = "secret_rotated"
	ClientKeysReplaced  = "keys_replaced"
)

// ClientStore holds the clients registered at run time. Each change takes
// the audit event that records it and writes it in the same transaction.
type ClientStore interface {
	// CreateClient stores c as version 1 (c.Version is ignored);
	// ErrConflict if a client has that id.
	CreateClient(ctx context.Context, c ClientRecord, ev Event) error
	// UpdateClient replaces the settings, secret hash, disabled flag and
	// UpdatedAt of client c.ID, if its stored version is still c.Version
	// (the version the caller read), and makes it c.Version+1. ErrConflict
	// when the version moved (someone else wrote in between: exactly one of
	// concurrent updates of one version wins), ErrNotFound when there is
	// no such client. CreatedAt is kept.
	UpdateClient(ctx context.Context, c ClientRecord, ev Event) error
	// StoredClient returns one client, or ErrNotFound.
	StoredClient(ctx context.Context, id string) (ClientRecord, error)
	// ListClients returns at most limit clients whose id sorts after
	// `after` ("" for the first page), in id order.
	ListClients(ctx context.Context, after string, limit int) ([]ClientRecord, error)
	// AllClients returns every client, disabled ones included, in id
	// order: the snapshot each node serves lookups from.
	AllClients(ctx context.Context) ([]ClientRecord, error)
}
