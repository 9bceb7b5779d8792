package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"go.yaml.in/yaml/v3"

	"github.com/tollgate-oidc/tollgate/internal/admin"
)

const clientsUsage = `usage: tollgate clients <command> [flags] (--admin-url URL | --config F)

list           every client, the file's (source config, read-only) and the store's
show ID        one client's settings (never its secret)
create         a store client from --file client.json|yaml (the keys of a client
               in tollgate.yaml) or from flags; a generated secret is printed once
update ID      replace a store client's settings with --file, on --version (the
               version you read; default: the current one)
disable ID     refuse the client everywhere within 10 s; --revoke-grants also
               revokes every grant it holds
enable ID      accept it again
rotate-secret ID   a new secret, printed once; the old one stops within 10 s
set-keys ID --jwks FILE   replace a private_key_jwt client's public keys

Run 'tollgate clients <command> -h' for its flags.
`

// cmdClients manages clients through the admin API (adminapi.go): over
// HTTP to a running node, or in process on the store with --config.
func cmdClients(args []string) error {
	if len(args) == 0 {
		return &usageError{verb: "clients", msg: "say list, show, create, update, disable, enable, rotate-secret or set-keys"}
	}
	if args[0] == "-h" || args[0] == "--help" {
		fmt.Print(clientsUsage)
		return flag.ErrHelp
	}
	sub, rest := args[0], args[1:]
	verb := "clients " + sub
	var af adminFlags
	var asJSON, revoke bool
	var file, jwksFile string
	var version int64
	var set clientFlags
	withID := true
	fs := newFlagSet(verb, verb+" ID [flags]")
	switch sub {
	case "list":
		withID = false
		fs = newFlagSet(verb, verb+" [--json]")
	case "show", "enable", "rotate-secret":
	case "create":
		withID = false
		fs = newFlagSet(verb, verb+" --file client.json|yaml | --id ID [settings flags]")
		fs.StringVar(&file, "file", "", "the client's settings: JSON or YAML with the keys of a client in tollgate.yaml")
		set.register(fs)
	case "update":
		fs.StringVar(&file, "file", "", "the client's whole new settings (JSON or YAML)")
		fs.Int64Var(&version, "version", 0, "the version you read (409 if it moved since); default: the current one")
	case "disable":
		fs.BoolVar(&revoke, "revoke-grants", false, "also revoke every grant the client holds")
	case "set-keys":
		fs.StringVar(&jwksFile, "jwks", "", "a JWK Set file (JSON or YAML) with the client's public keys")
	default:
		return &usageError{verb: "clients", msg: fmt.Sprintf("unknown clients command %q", sub)}
	}
	fs.BoolVar(&asJSON, "json", false, "print the API's JSON answer")
	af.register(fs)
	var id string
	var err error
	if withID {
		id, err = parseWithID(fs, rest)
	} else {
		err = parseFlags(fs, rest)
	}
	if err != nil {
		return err
	}
	if withID && id == "" {
		return &usageError{verb: verb, msg: "say which client: " + verb + " ID"}
	}
	ctx := context.Background()
	conn, err := af.connect(ctx, verb)
	if err != nil {
		return err
	}
	defer conn.close()
	path := "/clients/" + url.PathEscape(id)
	switch sub {
	case "list":
		return listClients(ctx, conn, asJSON)
	case "show":
		return printClient(ctx, conn, http.MethodGet, path, nil, nil, asJSON)
	case "create":
		body, err := set.settings(file)
		if err != nil {
			return &usageError{verb: verb, msg: err.Error()}
		}
		return printClient(ctx, conn, http.MethodPost, "/clients", nil, body, asJSON)
	case "update":
		if file == "" {
			return &usageError{verb: verb, msg: "give the new settings: --file client.json|yaml"}
		}
		settings, err := readDoc(file)
		if err != nil {
			return err
		}
		if version == 0 {
			var cur admin.ClientView
			if err := conn.call(ctx, http.MethodGet, path, nil, nil, &cur); err != nil {
				return err
			}
			version = cur.Version
		}
		body := map[string]any{"version": version, "settings": settings}
		return printClient(ctx, conn, http.MethodPut, path, nil, body, asJSON)
	case "disable":
		q := url.Values{}
		if revoke {
			q.Set("revoke_grants", "true")
		}
		return printClient(ctx, conn, http.MethodPost, path+"/disable", q, nil, asJSON)
	case "enable":
		return printClient(ctx, conn, http.MethodPost, path+"/enable", nil, nil, asJSON)
	case "rotate-secret":
		return printClient(ctx, conn, http.MethodPost, path+"/secret", nil, nil, asJSON)
	default: // set-keys
		if jwksFile == "" {
			return &usageError{verb: verb, msg: "give the keys: --jwks FILE"}
		}
		keys, err := readDoc(jwksFile)
		if err != nil {
			return err
		}
		return printClient(ctx, conn, http.MethodPut, path+"/jwks", nil, keys, asJSON)
	}
}

// clientFlags are the common settings of a client, for a create without
// a file.
type clientFlags struct {
	id, name, typ, auth, grants, scopes, redirects string
	offline                                        bool
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.id, "id", "", "client id")
	fs.StringVar(&c.name, "name", "", "display name")
	fs.StringVar(&c.typ, "type", "", "confidential (default) or public")
	fs.StringVar(&c.auth, "auth-method", "", "client_secret_basic (default), client_secret_post, private_key_jwt or none")
	fs.StringVar(&c.grants, "grant-types", "", "comma-separated grant types")
	fs.StringVar(&c.scopes, "scopes", "", "comma-separated scopes")
	fs.StringVar(&c.redirects, "redirect-uris", "", "comma-separated redirect URIs")
	fs.BoolVar(&c.offline, "allow-offline-access", false, "may receive refresh tokens")
}

// settings is the document to create: the file's, or the flags'.
func (c *clientFlags) settings(file string) (any, error) {
	given := c.id != "" || c.name != "" || c.typ != "" || c.auth != "" || c.grants != "" || c.scopes != "" || c.redirects != "" || c.offline
	switch {
	case file != "" && given:
		return nil, fmt.Errorf("give --file or settings flags, not both")
	case file != "":
		return readDoc(file)
	case c.id == "":
		return nil, fmt.Errorf("give --file client.json|yaml, or at least --id")
	}
	m := map[string]any{"id": c.id}
	for k, v := range map[string]string{"name": c.name, "type": c.typ, "auth_method": c.auth} {
		if v != "" {
			m[k] = v
		}
	}
	for k, v := range map[string]string{"grant_types": c.grants, "scopes": c.scopes, "redirect_uris": c.redirects} {
		if v != "" {
			m[k] = strings.Split(v, ",")
		}
	}
	if c.offline {
		m["allow_offline_access"] = true
	}
	return m, nil
}

// readDoc reads a JSON or YAML document (YAML is a superset of JSON).
func readDoc(path string) (any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("%s: must hold one object", path)
	}
	return v, nil
}

func listClients(ctx context.Context, conn *adminConn, asJSON bool) error {
	all, err := listAll[admin.ClientView](ctx, conn, "/clients")
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(all)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSOURCE\tSTATE\tVERSION\tUPDATED")
	for _, c := range all {
		state, v, up := "enabled", "-", "-"
		if c.Disabled {
			state = "disabled"
		}
		if c.Source == admin.SourceStore {
			v, up = fmt.Sprint(c.Version), c.UpdatedAt
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Source, state, v, up)
	}
	return tw.Flush()
}

// printClient makes one call and prints the client it answers with, and
// a generated secret with a warning that it is shown once.
func printClient(ctx context.Context, conn *adminConn, method, path string, q url.Values, body any, asJSON bool) error {
	var raw json.RawMessage
	if err := conn.call(ctx, method, path, q, body, &raw); err != nil {
		return err
	}
	if asJSON {
		_, err := fmt.Printf("%s\n", strings.TrimSpace(string(raw)))
		return err
	}
	var c admin.ClientChange
	if err := json.Unmarshal(raw, &c); err != nil {
		return err
	}
	state := "enabled"
	if c.Disabled {
		state = "disabled"
	}
	fmt.Printf("client %s (%s, %s", c.ID, c.Source, state)
	if c.Version > 0 {
		fmt.Printf(", version %d", c.Version)
	}
	fmt.Println(")")
	if c.GrantsRevoked != nil {
		fmt.Printf("grants revoked: %d\n", *c.GrantsRevoked)
	}
	var settings any
	if json.Unmarshal(c.Settings, &settings) == nil {
		out, _ := yaml.Marshal(settings)
		fmt.Printf("%s", out)
	}
	if c.ClientSecret != "" {
		fmt.Printf("client_secret: %s\n(shown this once: store it now; rotate-secret makes a new one)\n", c.ClientSecret)
	}
	return nil
}
