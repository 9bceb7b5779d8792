package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/app"
)

// EnvAdminURL names the environment variable that holds the admin API's
// base URL (the admin listener, e.g. http://127.0.0.1:9090), as
// --admin-url does.
const EnvAdminURL = "TOLLGATE_ADMIN_URL"

// adminFlags say how a verb of the admin API reaches it: over HTTP to a
// running node's admin listener (--admin-url, with the admin token), or in
// process over the store itself (--config), when no node runs or none is
// reachable. Either way the verb sends the same request to the same
// handlers, so the command line is the API and cannot drift from it.
type adminFlags struct {
	config    string
	url       string
	tokenFile string
}

func (f *adminFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "open the store of this tollgate.yaml directly (instead of --admin-url)")
	fs.StringVar(&f.url, "admin-url", "", "the admin listener of a running node, e.g. http://127.0.0.1:9090 (default $"+EnvAdminURL+")")
	fs.StringVar(&f.tokenFile, "admin-token-file", "", "read the admin token from this file (default $"+admin.EnvToken+")")
}

// adminConn is one way to the admin API.
type adminConn struct {
	do    func(*http.Request) (*http.Response, error)
	base  string
	close func()
}

// connect opens the way the flags say. verb names the command in usage errors.
func (f *adminFlags) connect(ctx context.Context, verb string) (*adminConn, error) {
	u := f.url
	if u == "" && f.config == "" {
		u = os.Getenv(EnvAdminURL)
	}
	switch {
	case f.config != "" && f.url != "":
		return nil, &usageError{verb: verb, msg: "use either --config or --admin-url, not both"}
	case f.config != "":
		return f.local(ctx)
	case u == "":
		return nil, &usageError{verb: verb, msg: "say where the admin API is: --admin-url (or $" + EnvAdminURL + "), or open the store with --config tollgate.yaml"}
	}
	base, err := url.Parse(strings.TrimSuffix(u, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, &usageError{verb: verb, msg: fmt.Sprintf("--admin-url %q is not an http(s) URL", u)}
	}
	tok, err := admin.LoadToken(f.tokenFile)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	return &adminConn{
		base: base.String(),
		do: func(r *http.Request) (*http.Response, error) {
			r.Header.Set("Authorization", "Bearer "+tok)
			return client.Do(r)
		},
		close: func() {},
	}, nil
}

// local opens the store of the configuration and serves the API in
// process, as the operator's own account.
func (f *adminFlags) local(ctx context.Context) (*adminConn, error) {
	cf := configFlags{path: f.config}
	cfg, _, err := cf.load()
	if err != nil {
		return nil, err
	}
	name := "operator"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	a, err := app.Open(ctx, cfg, app.Options{Log: newLogger(cfg), ExistingStore: true, NodeID: "cli-" + app.NewNodeID()})
	if err != nil {
		return nil, err
	}
	srv, err := admin.New(admin.Options{Authorizers: []admin.Authorizer{admin.Trusted{Who: admin.Caller{Kind: admin.CallerOperator, ID: name}}}})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.AdminAPI().Register(srv)
	return &adminConn{
		base: "http://in-process",
		do: func(r *http.Request) (*http.Response, error) {
			rec := newRecorder()
			srv.ServeHTTP(rec, r)
			return rec.response(r), nil
		},
		close: func() { a.Close() },
	}, nil
}

// call sends one request (body as JSON when not nil) and decodes a 2xx
// answer into out (when not nil). A refused request is an error carrying
// the API's own description.
func (c *adminConn) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	target := c.base + admin.PathAPI + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.do(req)
	if err != nil {
		return fmt.Errorf("the admin API did not answer: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Code        string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Code == "" {
			return fmt.Errorf("the admin API answered %s", resp.Status)
		}
		if e.Description == "" {
			return errors.New(e.Code)
		}
		return fmt.Errorf("%s: %s", e.Code, e.Description)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out) // a *json.RawMessage takes the body as it is (--json)
}

// listAll reads every page of the listing at path ({"items", "next"}),
// following the cursor, a thousand at a time.
func listAll[T any](ctx context.Context, conn *adminConn, path string) ([]T, error) {
	all := []T{}
	q := url.Values{"limit": {"1000"}}
	for {
		var page struct {
			Items []T    `json:"items"`
			Next  string `json:"next"`
		}
		if err := conn.call(ctx, http.MethodGet, path, q, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Next == "" {
			return all, nil
		}
		q.Set("after", page.Next)
	}
}

// printJSON writes v to standard output as indented JSON (--json).
func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
