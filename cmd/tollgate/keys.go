package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/keys"
)

const keysUsage = `usage: tollgate keys list (--config F | --admin-url URL) [--json]
       tollgate keys rotate (--config F | --admin-url URL) [--alg ES256|RS256]

list    every signing key: kid, alg, state (next, active, retired, gone),
        created, activates at, retires at, gone at
rotate  add a next key (every algorithm, or --alg): published in the JWKS
        now, signing after keys.jwks_max_age + 30s + keys.clock_skew
`

// cmdKeys lists and rotates the signing keys through the admin API (a
// node's admin listener, or the store itself with --config). Servers pick
// up a rotation within 30 seconds (keys.ReloadEvery); the new key signs
// only from its stored activation time, which is after every server has it.
func cmdKeys(args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Print(keysUsage)
		return flag.ErrHelp
	}
	if len(args) == 0 {
		return &usageError{verb: "keys", msg: "say list or rotate"}
	}
	var af adminFlags
	var alg string
	var asJSON bool
	var fs *flag.FlagSet
	switch args[0] {
	case "list":
		fs = newFlagSet("keys list", "keys list (--config tollgate.yaml | --admin-url URL) [--json]")
		fs.BoolVar(&asJSON, "json", false, "print JSON: one object per key")
	case "rotate":
		fs = newFlagSet("keys rotate", "keys rotate (--config tollgate.yaml | --admin-url URL) [--alg ES256|RS256]")
		fs.StringVar(&alg, "alg", "", "rotate only this algorithm's key: "+strings.Join(keys.Algorithms, " or "))
	default:
		return &usageError{verb: "keys", msg: fmt.Sprintf("unknown keys command %q: say list or rotate", args[0])}
	}
	af.register(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if alg != "" && !slices.Contains(keys.Algorithms, alg) {
		return &usageError{verb: fs.Name(), msg: fmt.Sprintf("--alg %q: Tollgate signs with %s", alg, strings.Join(keys.Algorithms, " and "))}
	}
	return withAdmin(&af, fs.Name(), func(ctx context.Context, c *adminConn) error {
		if args[0] == "list" {
			if asJSON {
				var raw json.RawMessage
				if err := c.call(ctx, "GET", "/keys", nil, nil, &raw); err != nil {
					return err
				}
				_, err := os.Stdout.Write(raw)
				return err
			}
			var list []keys.Info
			if err := c.call(ctx, "GET", "/keys", nil, nil, &list); err != nil {
				return err
			}
			return printKeys(list, false)
		}
		var added []keys.Info
		if err := c.call(ctx, "POST", "/keys/rotate", nil, struct {
			Alg string `json:"alg,omitempty"`
		}{alg}, &added); err != nil {
			return err
		}
		for _, in := range added {
			fmt.Printf("added %s key %s: published now, signs from %s\n", in.Algorithm, in.KID, in.ActivatesAt.UTC().Format(time.RFC3339))
		}
		return nil
	})
}

func printKeys(list []keys.Info, asJSON bool) error {
	if asJSON {
		if list == nil {
			list = []keys.Info{}
		}
		return printJSON(list)
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
