package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// cmdRevoke lets an operator stop a compromised client or user at once:
// every matching refresh token is revoked, on every node, since each
// refresh reads the grant's state from the shared store.
func cmdRevoke(args []string) error {
	fs := newFlagSet("revoke", "revoke --config F (--client ID | --subject SUB | --grant ID)")
	var cf configFlags
	cf.register(fs)
	var f store.GrantFilter
	var grantID string
	fs.StringVar(&f.ClientID, "client", "", "revoke every refresh token of this client")
	fs.StringVar(&f.Subject, "subject", "", "revoke every refresh token of this user (subject)")
	fs.StringVar(&grantID, "grant", "", "revoke one grant (token family) by id")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if grantID == "" && f.ClientID == "" && f.Subject == "" {
		return &usageError{msg: "say what to revoke: --client ID, --subject SUB or --grant ID"}
	}
	if grantID != "" && (f.ClientID != "" || f.Subject != "") {
		return &usageError{msg: "--grant cannot be combined with --client or --subject"}
	}
	cfg, _, err := cf.load()
	if err != nil {
		return err
	}
	// The audit trail names the operator's account as the actor.
	ctx := audit.WithActor(context.Background(), audit.ActorOperator, operatorName())
	st, err := app.OpenExistingStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	// A name that matches nothing is a mistake (a typo, the wrong
	// configuration), not "0 revoked": say so and fail. Clients and users
	// are the file's or the store's (created at run time).
	if f.ClientID != "" {
		if ok, err := known(ctx, cfg.Client, st.StoredClient, f.ClientID); err != nil || !ok {
			return cmp.Or(err, fmt.Errorf("no client %q in the configuration or the store; nothing revoked", f.ClientID))
		}
	}
	if f.Subject != "" {
		if ok, err := known(ctx, cfg.UserBySubject, st.UserBySubject, f.Subject); err != nil || !ok {
			return cmp.Or(err, fmt.Errorf("no user with subject %q in the configuration or the store; nothing revoked", f.Subject))
		}
	}
	log := newLogger(cfg).With("audit", true)
	rs := refresh.New(st, mint.RefreshKeys{}, time.Now, log) // revokes only: mints nothing
	if grantID != "" {
		return revokeOneGrant(ctx, st, rs, grantID)
	}
	n, err := rs.RevokeMatching(ctx, f)
	if err != nil {
		return err
	}
	fmt.Printf("revoked %d grant(s)\n", n)
	return nil
}

// revokeOneGrant revokes a grant by id: an unknown id is an error, one
// already revoked is said to be so (and is not an error: the operator's
// goal holds).
func revokeOneGrant(ctx context.Context, st store.Store, rs *refresh.Service, id string) error {
	g, _, err := st.GrantChain(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no grant %q in the database; nothing revoked", id)
	}
	if err != nil {
		return err
	}
	if g.Revoked() {
		fmt.Printf("grant %s was already revoked at %s\n", id, g.RevokedAt.UTC().Format(time.RFC3339))
		return nil
	}
	ok, err := rs.RevokeGrant(ctx, id, "operator")
	if err != nil {
		return err
	}
	if !ok {
		fmt.Printf("grant %s was already revoked\n", id) // revoked by someone else meanwhile
		return nil
	}
	fmt.Println("revoked 1 grant(s)")
	return nil
}

func cmdSecret(args []string) error {
	fs := newFlagSet("secret", "secret   (prints a fresh client secret and its secret_hash)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s := secret.Generate()
	fmt.Printf("secret:      %s\nsecret_hash: %s\n", s, secret.HashClientSecret(s))
	fmt.Println("Give the secret to the client; put either line in its configuration (secret_hash keeps the file free of it).")
	return nil
}

// known reports whether key names a record of the file (inFile) or of the
// store (inStore); an error only when the store could not say.
func known[F, S any](ctx context.Context, inFile func(string) (F, bool), inStore func(context.Context, string) (S, error), key string) (bool, error) {
	if _, ok := inFile(key); ok {
		return true, nil
	}
	switch _, err := inStore(ctx, key); {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	default:
		return false, err
	}
}
