package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/admin"
)

// cmdAudit reads the audit trail through the admin API (GET /api/v1/audit):
// a table by default, the API's JSON with --json.
func cmdAudit(args []string) error {
	fs := newFlagSet("audit", "audit (--admin-url URL | --config F) [--subject SUB] [--client ID] [--grant ID] [--kind KIND] [--since 24h] [--until T] [--limit N] [--after CURSOR] [--json]")
	var af adminFlags
	af.register(fs)
	var subject, client, grant, kind, since, until, after string
	var limit int
	var asJSON bool
	fs.StringVar(&subject, "subject", "", "only the events of this user (subject)")
	fs.StringVar(&client, "client", "", "only the events of this client")
	fs.StringVar(&grant, "grant", "", "only the events of this grant")
	fs.StringVar(&kind, "kind", "", "only events of this kind: "+strings.Join(admin.EventKinds, ", "))
	fs.StringVar(&since, "since", "", "from this long ago (24h, 90m, 7d) or this RFC 3339 time")
	fs.StringVar(&until, "until", "", "up to this long ago or this RFC 3339 time")
	fs.IntVar(&limit, "limit", 100, "at most this many events (1 to 1000), newest first")
	fs.StringVar(&after, "after", "", "continue a listing after this cursor (printed at its end)")
	fs.BoolVar(&asJSON, "json", false, "print the admin API's JSON answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{verb: "audit", msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	// Usage mistakes are told here, before the API is reached: exit 2.
	for _, t := range []struct{ flag, v string }{{"--since", since}, {"--until", until}} {
		if t.v == "" {
			continue
		}
		if _, err := admin.ParseSince(t.v, time.Now()); err != nil {
			return &usageError{verb: "audit", msg: t.flag + ": " + err.Error()}
		}
	}
	if kind != "" && !slices.Contains(admin.EventKinds, kind) {
		return &usageError{verb: "audit", msg: fmt.Sprintf("--kind %q is not one of %s", kind, strings.Join(admin.EventKinds, ", "))}
	}
	if limit < 1 || limit > 1000 {
		return &usageError{verb: "audit", msg: fmt.Sprintf("--limit must be from 1 to 1000, not %d", limit)}
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	for k, v := range map[string]string{"subject": subject, "client": client, "grant": grant, "kind": kind,
		"since": since, "until": until, "after": after} {
		if v != "" {
			q.Set(k, v)
		}
	}
	ctx := context.Background()
	conn, err := af.connect(ctx, "audit")
	if err != nil {
		return err
	}
	defer conn.close()
	if asJSON {
		var raw json.RawMessage
		if err := conn.call(ctx, "GET", "/audit", q, nil, &raw); err != nil {
			return err
		}
		_, err := os.Stdout.Write(append(raw, '\n'))
		return err
	}
	var page admin.EventPage
	if err := conn.call(ctx, "GET", "/audit", q, nil, &page); err != nil {
		return err
	}
	return printEvents(os.Stdout, page)
}

// printEvents writes a page of the trail as a table, oldest last.
func printEvents(out io.Writer, page admin.EventPage) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tKIND\tREASON\tACTOR\tCLIENT\tSUBJECT\tGRANT\tREMOTE\tNODE\tREQUEST")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, e := range page.Items {
		actor := e.Actor
		if e.ActorID != "" {
			actor += ":" + e.ActorID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), e.Kind,
			dash(e.Reason), dash(actor), dash(e.ClientID), dash(e.Subject), dash(e.GrantID), dash(e.RemoteAddr),
			dash(e.Node), dash(e.RequestID))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.Next != "" {
		fmt.Fprintf(out, "more: --after %s\n", page.Next)
	}
	return nil
}

// operatorName is the account the command line runs under, the actor of
// what it does to the store directly ("operator" when unknown).
func operatorName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "operator"
}
