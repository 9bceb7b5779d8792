package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tollgate-oidc/tollgate/internal/admin"
)

const grantsUsage = `usage: tollgate grants list [--client C | --subject S | --session SID] [--all] [--limit N] [--after CURSOR] [--json]
       tollgate grants show ID [--json]
       tollgate grants revoke ID | --client C | --subject S | --session SID

list    the live grants (--all: revoked and expired too) of a client, a
        user or a browser session, or of everyone, in grant id order, a
        page at a time; with each its rotations so far and where its
        newest token was issued (node, address, user agent)
show    one grant and its lineage: its live token and the one it replaced,
        each with time, node, address and user agent
revoke  one grant by id, or every live grant of a client, user or session

Each talks to the admin API (--admin-url, or $TOLLGATE_ADMIN_URL, with the
admin token), or opens the store itself with --config tollgate.yaml.
`

// cmdGrants is the grants area of the admin API on the command line.
func cmdGrants(args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Print(grantsUsage)
		return flag.ErrHelp
	}
	if len(args) == 0 {
		return &usageError{verb: "grants", msg: "say list, show or revoke"}
	}
	switch args[0] {
	case "list":
		return grantsList(args[1:])
	case "show":
		return grantsShow(args[1:])
	case "revoke":
		return grantsRevoke(args[1:])
	}
	return &usageError{verb: "grants", msg: fmt.Sprintf("unknown grants command %q: say list, show or revoke", args[0])}
}

// filterFlags are the flags that select grants by client, subject, session.
type filterFlags struct{ client, subject, session string }

func (f *filterFlags) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&f.client, "client", "", what+" of this client")
	fs.StringVar(&f.subject, "subject", "", what+" of this user (subject)")
	fs.StringVar(&f.session, "session", "", what+" of this browser session (sid)")
}

func grantsList(args []string) error {
	fs := newFlagSet("grants list", "grants list [--client C | --subject S | --session SID] [--all] [--limit N] [--after CURSOR] [--json]")
	var af adminFlags
	var f filterFlags
	var all, asJSON bool
	var limit int
	var after string
	af.register(fs)
	f.register(fs, "list the grants")
	fs.BoolVar(&all, "all", false, "list revoked and expired grants too")
	fs.IntVar(&limit, "limit", 100, "grants per page, 1 to 1000")
	fs.StringVar(&after, "after", "", "the next cursor a previous page printed")
	fs.BoolVar(&asJSON, "json", false, `print the API's JSON: {"items": [...], "next": cursor}`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if limit < 1 || limit > 1000 {
		return &usageError{verb: fs.Name(), msg: fmt.Sprintf("--limit %d: say 1 to 1000", limit)}
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	for k, v := range map[string]string{"client": f.client, "subject": f.subject, "session": f.session, "after": after} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !all {
		q.Set("live", "true")
	}
	return withAdmin(&af, fs.Name(), func(ctx context.Context, c *adminConn) error {
		if asJSON {
			var raw json.RawMessage
			if err := c.call(ctx, "GET", "/grants", q, nil, &raw); err != nil {
				return err
			}
			_, err := os.Stdout.Write(raw)
			return err
		}
		var page admin.GrantPage
		if err := c.call(ctx, "GET", "/grants", q, nil, &page); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "GRANT\tCLIENT\tSUBJECT\tSTATE\tGEN\tCREATED\tLAST USED\tNODE\tREMOTE\tUSER AGENT")
		for _, g := range page.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", g.ID, g.ClientID, g.Subject, grantState(g), g.Generation,
				stamp(g.CreatedAt), stamp(g.LastUsed), dash(g.Node), dash(g.RemoteAddr), dash(cut(g.UserAgent, 40)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if page.Next != "" {
			fmt.Printf("more: --after %s\n", page.Next)
		}
		return nil
	})
}

func grantState(g admin.Grant) string {
	switch {
	case !g.RevokedAt.IsZero():
		return "revoked"
	case !g.Live:
		return "expired"
	}
	return "live"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

func grantsShow(args []string) error {
	fs := newFlagSet("grants show", "grants show ID [--json]")
	var af adminFlags
	var asJSON bool
	af.register(fs)
	fs.BoolVar(&asJSON, "json", false, `print the API's JSON: {"grant": {...}, "tokens": [...]}`)
	id, err := parseWithID(fs, args)
	if err != nil {
		return err
	}
	if id == "" {
		return &usageError{verb: fs.Name(), msg: "say which grant: grants show ID"}
	}
	return withAdmin(&af, fs.Name(), func(ctx context.Context, c *adminConn) error {
		path := "/grants/" + url.PathEscape(id)
		if asJSON {
			var raw json.RawMessage
			if err := c.call(ctx, "GET", path, nil, nil, &raw); err != nil {
				return err
			}
			_, err := os.Stdout.Write(raw)
			return err
		}
		var l admin.Lineage
		if err := c.call(ctx, "GET", path, nil, nil, &l); err != nil {
			return err
		}
		g := l.Grant
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		for _, kv := range [][2]string{{"grant", g.ID}, {"client", g.ClientID}, {"subject", g.Subject},
			{"session", dash(g.SessionID)}, {"scopes", strings.Join(g.Scopes, " ")}, {"state", grantState(g)},
			{"signed in", stamp(g.AuthTime)}, {"created", stamp(g.CreatedAt)}, {"expires", stamp(g.ExpiresAt)},
			{"revoked", stamp(g.RevokedAt)}, {"rotations", strconv.Itoa(g.Generation)}, {"dpop key", dash(g.DPoPJKT)}} {
			fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Println()
		tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "GEN\tSTATE\tISSUED\tEXPIRES\tCONSUMED\tNODE\tREMOTE\tUSER AGENT")
		for _, t := range l.Tokens {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Generation, t.State, stamp(t.CreatedAt), stamp(t.ExpiresAt),
				stamp(t.ConsumedAt), dash(t.Node), dash(t.RemoteAddr), dash(t.UserAgent))
		}
		return tw.Flush()
	})
}

func grantsRevoke(args []string) error {
	fs := newFlagSet("grants revoke", "grants revoke ID | --client C | --subject S | --session SID")
	var af adminFlags
	var f filterFlags
	af.register(fs)
	f.register(fs, "revoke every live grant")
	id, err := parseWithID(fs, args)
	if err != nil {
		return err
	}
	byFilter := f != (filterFlags{})
	switch {
	case id == "" && !byFilter:
		return &usageError{verb: fs.Name(), msg: "say what to revoke: a grant ID, --client C, --subject S or --session SID"}
	case id != "" && byFilter:
		return &usageError{verb: fs.Name(), msg: "a grant ID cannot be combined with --client, --subject or --session"}
	}
	return withAdmin(&af, fs.Name(), func(ctx context.Context, c *adminConn) error {
		if id != "" {
			var out admin.Revoked
			if err := c.call(ctx, "POST", "/grants/"+url.PathEscape(id)+"/revoke", nil, struct{}{}, &out); err != nil {
				return err
			}
			if !out.Revoked {
				fmt.Printf("grant %s was already revoked\n", id)
				return nil
			}
			fmt.Println("revoked 1 grant(s)")
			return nil
		}
		var out struct {
			Revoked int `json:"revoked"`
		}
		body := admin.RevokeFilter{Client: f.client, Subject: f.subject, Session: f.session}
		if err := c.call(ctx, "POST", "/grants/revoke", nil, body, &out); err != nil {
			return err
		}
		fmt.Printf("revoked %d grant(s)\n", out.Revoked)
		return nil
	})
}

// withAdmin connects as af says, runs fn, and closes the connection.
func withAdmin(af *adminFlags, verb string, fn func(context.Context, *adminConn) error) error {
	ctx := context.Background()
	c, err := af.connect(ctx, verb)
	if err != nil {
		return err
	}
	defer c.close()
	return fn(ctx, c)
}
