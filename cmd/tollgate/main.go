// Command tollgate is an OAuth 2.0 / OpenID Connect authorization server
// built around refresh tokens that work as HelseID describes.
//
//	tollgate serve --dev                 run with an embedded SQLite database and demo data
//	tollgate serve --config tollgate.yaml
//	tollgate revoke --config F --client ID | --subject SUB | --grant ID
//	tollgate migrate --config F [--status]   apply (or list) the PostgreSQL schema migrations
//	tollgate janitor --config F              delete expired records once
//	tollgate keys list|rotate --config F     list the signing keys, or start a rotation
//	tollgate users list|show|create|...      manage the users of the store (admin API)
//	tollgate clients list|show|create|update|disable|enable|rotate-secret|set-keys
//	tollgate grants list|show|revoke ...     find, inspect and revoke grants (admin API or --config)
//	tollgate audit --config F [--subject S] [--since 24h] [--json]   read the audit trail
//	tollgate secret                      print a fresh client secret and its hash
//	tollgate hash-password               prompt for a password (stdin when not a terminal), print its argon2id hash
//	tollgate check --config F            validate a configuration, print its warnings
//	tollgate version                     print the version (also --version)
package main

import (
	"fmt"
	"os"
)

const usage = `usage: tollgate <command> [flags]

commands:
  serve          run the server (--dev, or --config tollgate.yaml)
  revoke         revoke refresh tokens: --client ID, --subject SUB or --grant ID
  migrate        apply the database schema (--status lists the migrations)
  janitor        delete expired records once, in small batches, and print how many
  secret         print a fresh client secret and the secret_hash to configure
  hash-password  prompt for a password (or read one line from standard input) and print its password_hash
  check          load and validate a configuration file, report every problem and warning
  version        print the version, the commit it was built from, and the Go version
  keys           list the signing keys (list [--json]) or start a rotation (rotate [--alg ES256])
  users          manage users: list, show, create, disable, enable, set-password, set-claims
  clients        list, show, create, update, disable, enable, rotate-secret, set-keys
  grants         list, show (with lineage) or revoke grants: list|show|revoke, through the admin API or --config
  audit          read the audit trail: --subject, --client, --grant, --kind, --since 24h [--json]

Run 'tollgate <command> -h' for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:]))
}

// run dispatches to a verb and returns the exit status (see exitCode).
func run(args []string) int {
	cmds := map[string]func([]string) error{
		"serve":         cmdServe,
		"revoke":        cmdRevoke,
		"secret":        cmdSecret,
		"hash-password": cmdHashPassword,
		"check":         cmdCheck,
		"migrate":       cmdMigrate,
		"janitor":       cmdJanitor,
		"keys":          cmdKeys,    // keys.go
		"users":         cmdUsers,   // users.go
		"clients":       cmdClients, // clients.go
		"grants":        cmdGrants,  // grants.go
		"audit":         cmdAudit,   // audit.go
		"version":       cmdVersion,
	}
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return exitUsage
	}
	verb := args[0]
	switch verb {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && cmds[args[1]] != nil { // tollgate help serve
			return exitCode(args[1], cmds[args[1]]([]string{"-h"}))
		}
		fmt.Print(usage)
		return 0
	case "-version", "--version":
		verb = "version"
	}
	cmd, ok := cmds[verb]
	if !ok {
		fmt.Fprintln(os.Stderr, (&usageError{msg: fmt.Sprintf("unknown command %q", verb)}).hint())
		return exitUsage
	}
	return exitCode(verb, cmd(args[1:]))
}
