package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/tollgate-oidc/tollgate/internal/admin"
)

const usersUsage = `usage: tollgate users list [--json]
       tollgate users show NAME [--json]
       tollgate users create NAME [--subject S] [--claims FILE]
       tollgate users disable NAME [--revoke-grants]
       tollgate users enable NAME
       tollgate users set-password NAME
       tollgate users set-claims NAME --claims FILE
each with --config tollgate.yaml (open the store) or --admin-url URL
(a running node's admin listener, with $TOLLGATE_ADMIN_TOKEN or
--admin-token-file).

list          the users of the configuration file (source config,
              read-only) and of the store (source store)
show          one user: subject, source, disabled, claims
create        a user in the store; the password is prompted twice without
              echo on a terminal, read as one line from standard input
              otherwise (at least 12 characters)
disable       refuse the user at their next refresh, sign-in or userinfo,
              on every node; --revoke-grants also revokes their grants
enable        allow the user again
set-password  set the password (prompted or read as in create)
set-claims    replace the claims with the JSON object in FILE
`

// cmdUsers manages users through the admin API (adminConn): the same
// requests, answers and errors as the API.
func cmdUsers(args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Print(usersUsage)
		return flag.ErrHelp
	}
	if len(args) == 0 {
		return &usageError{verb: "users", msg: "say list, show, create, disable, enable, set-password or set-claims"}
	}
	var af adminFlags
	var asJSON, revoke bool
	var subject, claimsFile string
	sub := args[0]
	fs := newFlagSet("users "+sub, "users "+sub+" ...  (tollgate users -h lists every form)")
	named := true
	switch sub {
	case "list":
		named = false
		fs.BoolVar(&asJSON, "json", false, "print the API's JSON")
	case "show":
		fs.BoolVar(&asJSON, "json", false, "print the API's JSON")
	case "create":
		fs.StringVar(&subject, "subject", "", "the user's subject (sub); generated when not given")
		fs.StringVar(&claimsFile, "claims", "", "a file holding the user's claims as a JSON object")
	case "disable":
		fs.BoolVar(&revoke, "revoke-grants", false, "also revoke every grant of the user")
	case "enable", "set-password":
	case "set-claims":
		fs.StringVar(&claimsFile, "claims", "", "a file holding the user's claims as a JSON object")
	default:
		return &usageError{verb: "users", msg: fmt.Sprintf("unknown users command %q: say list, show, create, disable, enable, set-password or set-claims", sub)}
	}
	af.register(fs)
	name, err := parseNamed(fs, args[1:], named)
	if err != nil {
		return err
	}
	if sub == "set-claims" && claimsFile == "" {
		return &usageError{verb: fs.Name(), msg: "say which claims: --claims FILE (a JSON object)"}
	}
	var claims json.RawMessage
	if claimsFile != "" {
		if claims, err = readClaims(claimsFile); err != nil {
			return err
		}
	}
	ctx := context.Background()
	conn, err := af.connect(ctx, fs.Name())
	if err != nil {
		return err
	}
	defer conn.close()
	path := "/users/" + url.PathEscape(name)
	switch sub {
	case "list":
		return listUsers(ctx, conn, asJSON)
	case "show":
		return showUser(ctx, conn, path, asJSON)
	case "create":
		pw, err := readNewPassword()
		if err != nil {
			return err
		}
		body := map[string]any{"username": name, "password": pw}
		if subject != "" {
			body["subject"] = subject
		}
		if claims != nil {
			body["claims"] = claims
		}
		var u admin.UserView
		if err := conn.call(ctx, http.MethodPost, "/users", nil, body, &u); err != nil {
			return err
		}
		fmt.Printf("created user %s (subject %s)\n", u.Username, u.Subject)
	case "disable":
		var q url.Values
		if revoke {
			q = url.Values{"revoke_grants": {"true"}}
		}
		var u admin.UserView
		if err := conn.call(ctx, http.MethodPost, path+"/disable", q, nil, &u); err != nil {
			return err
		}
		fmt.Printf("disabled user %s\n", u.Username)
		if u.GrantsRevoked != nil {
			fmt.Printf("revoked %d grant(s) of subject %s\n", *u.GrantsRevoked, u.Subject)
		}
	case "enable":
		if err := conn.call(ctx, http.MethodPost, path+"/enable", nil, nil, nil); err != nil {
			return err
		}
		fmt.Printf("enabled user %s\n", name)
	case "set-password":
		pw, err := readNewPassword()
		if err != nil {
			return err
		}
		if err := conn.call(ctx, http.MethodPut, path+"/password", nil, map[string]string{"password": pw}, nil); err != nil {
			return err
		}
		fmt.Printf("set the password of user %s\n", name)
	case "set-claims":
		if err := conn.call(ctx, http.MethodPut, path+"/claims", nil, map[string]any{"claims": claims}, nil); err != nil {
			return err
		}
		fmt.Printf("set the claims of user %s\n", name)
	}
	return nil
}

// parseNamed parses flags given before or after the one NAME argument
// (users show alice --json, users show --json alice, users show -bob).
func parseNamed(fs *flag.FlagSet, args []string, named bool) (string, error) {
	if !named {
		return "", parseFlags(fs, args)
	}
	name, err := parseWithID(fs, args)
	if err == nil && name == "" {
		err = &usageError{verb: fs.Name(), msg: "say which user: " + fs.Name() + " NAME"}
	}
	return name, err
}

// readNewPassword prompts twice without echo on a terminal, else reads one
// line from standard input (hash-password's code, password.go).
func readNewPassword() (string, error) {
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		return promptPassword(fd, os.Stderr)
	}
	return readPasswordLine(os.Stdin)
}

func readClaims(path string) (json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--claims: %w", err)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("--claims %s: the file must hold one JSON object", path)
	}
	return json.RawMessage(b), nil
}

func listUsers(ctx context.Context, conn *adminConn, asJSON bool) error {
	all, err := listAll[admin.UserView](ctx, conn, "/users")
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(all)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tSUBJECT\tSOURCE\tSTATE")
	for _, u := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Subject, u.Source, userState(u))
	}
	return tw.Flush()
}

func showUser(ctx context.Context, conn *adminConn, path string, asJSON bool) error {
	if asJSON {
		var raw json.RawMessage
		if err := conn.call(ctx, http.MethodGet, path, nil, nil, &raw); err != nil {
			return err
		}
		_, err := os.Stdout.Write(raw)
		return err
	}
	var u admin.UserView
	if err := conn.call(ctx, http.MethodGet, path, nil, nil, &u); err != nil {
		return err
	}
	claims, _ := json.Marshal(u.Claims)
	fmt.Printf("username  %s\nsubject   %s\nsource    %s\nstate     %s\npassword  %s\nclaims    %s\n",
		u.Username, u.Subject, u.Source, userState(u), map[bool]string{true: "set", false: "none"}[u.HasPassword], claims)
	if u.CreatedAt != nil {
		fmt.Printf("created   %s\nupdated   %s\n", stamp(*u.CreatedAt), stamp(*u.UpdatedAt))
	}
	return nil
}

func userState(u admin.UserView) string {
	if u.Disabled {
		return "disabled"
	}
	return "enabled"
}
