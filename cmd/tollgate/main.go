// Command tollgate is an OAuth 2.0 / OpenID Connect authorization server
// built around refresh tokens that work as HelseID describes.
//
//	tollgate serve --dev                 run with an embedded SQLite database and demo data
//	tollgate serve --config tollgate.yaml
//	tollgate revoke --config F --client ID | --subject SUB | --grant ID
//	tollgate migrate --config F [--status]   apply (or list) the PostgreSQL schema migrations
//	tollgate janitor --config F              delete expired records once
//	tollgate keys list|rotate --config F     list the signing keys, or start a rotation
//	tollgate secret                      print a fresh client secret and its hash
//	tollgate hash-password               read a password on stdin, print its argon2id hash
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
  hash-password  read a password from standard input and print its password_hash
  check          load and validate a configuration file, report every problem
  keys           list the signing keys (list [--json]) or start a rotation (rotate [--alg ES256])

Run 'tollgate <command> -h' for the flags of a command.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmds := map[string]func([]string) error{
		"serve":         cmdServe,
		"revoke":        cmdRevoke,
		"secret":        cmdSecret,
		"hash-password": cmdHashPassword,
		"check":         cmdCheck,
		"migrate":       cmdMigrate,
		"janitor":       cmdJanitor,
		"keys":          cmdKeys, // keys.go
	}
	run, ok := cmds[os.Args[1]]
	if !ok {
		if os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
			fmt.Print(usage)
			return
		}
		fmt.Fprintf(os.Stderr, "tollgate: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err := run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "tollgate %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
