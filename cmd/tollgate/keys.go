package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/keys"
)

const keysUsage = `usage: tollgate keys list --config F [--json]
       tollgate keys rotate --config F [--alg ES256|RS256]

list    every signing key: kid, alg, state (next, active, retired, gone),
        created, activates at, retires at, gone at
rotate  add a next key (every algorithm, or --alg): published in the JWKS
        now, signing after keys.jwks_max_age + 30s + keys.clock_skew
`

// cmdKeys lists and rotates the signing keys, opening the store with
// --config as revoke does. Servers pick up a rotation within 30 seconds
// (keys.ReloadEvery); the new key signs only from its stored activation
// time, which is after every server has it.
func cmdKeys(args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Print(keysUsage)
		return flag.ErrHelp
	}
	if len(args) == 0 {
		return &usageError{verb: "keys", msg: "say list or rotate"}
	}
	var path, alg string
	var asJSON bool
	var fs *flag.FlagSet
	switch args[0] {
	case "list":
		fs = newFlagSet("keys list", "keys list --config tollgate.yaml [--json]")
		fs.BoolVar(&asJSON, "json", false, "print JSON: one object per key")
	case "rotate":
		fs = newFlagSet("keys rotate", "keys rotate --config tollgate.yaml [--alg ES256|RS256]")
		fs.StringVar(&alg, "alg", "", "rotate only this algorithm's key: "+strings.Join(keys.Algorithms, " or "))
	default:
		return &usageError{verb: "keys", msg: fmt.Sprintf("unknown keys command %q: say list or rotate", args[0])}
	}
	fs.StringVar(&path, "config", "", "path to tollgate.yaml")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if path == "" {
		return &usageError{verb: fs.Name(), msg: "say which configuration: --config tollgate.yaml"}
	}
	if alg != "" && !slices.Contains(keys.Algorithms, alg) {
		return &usageError{verb: fs.Name(), msg: fmt.Sprintf("--alg %q: Tollgate signs with %s", alg, strings.Join(keys.Algorithms, " and "))}
	}
	set, closeStore, err := openKeys(path)
	if err != nil {
		return err
	}
	defer closeStore()
	if args[0] == "list" {
		return printKeys(set.List(), asJSON)
	}
	algs := keys.Algorithms
	if alg != "" {
		algs = []string{alg}
	}
	for _, a := range algs {
		in, err := set.Rotate(context.Background(), a)
		if err != nil {
			return err
		}
		fmt.Printf("added %s key %s: published now, signs from %s\n", in.Algorithm, in.KID, in.ActivatesAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// openKeys opens the stored keys of the configuration at path with the
// policy its servers use. A store without keys is refused: the first keys
// are the first server's to create.
func openKeys(path string) (*keys.Set, func(), error) {
	cf := configFlags{path: path}
	cfg, _, err := cf.load()
	if err != nil {
		return nil, nil, err
	}
	ctx := context.Background()
	st, err := app.OpenExistingStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	rows, err := st.SigningKeys(ctx)
	if err == nil && len(rows) == 0 {
		err = errors.New("the store holds no signing keys yet: start a server once (it creates them)")
	}
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	log := newLogger(cfg)
	sys, err := app.SystemSecret(ctx, cfg, st, log)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	set, err := keys.Open(ctx, st, sys, keys.Options{Log: log, Policy: app.KeyPolicy(cfg, 0)})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return set, func() { st.Close() }, nil
}

func printKeys(list []keys.Info, asJSON bool) error {
	if asJSON {
		if list == nil {
			list = []keys.Info{}
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tSTATE\tCREATED\tACTIVATES\tRETIRES\tGONE")
	for _, in := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.KID, in.Algorithm, in.State,
			stamp(in.CreatedAt), stamp(in.ActivatesAt), stamp(in.RetiresAt), stamp(in.GoneAt))
	}
	return tw.Flush()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
