package main

import (
	"fmt"

	"github.com/tollgate-oidc/tollgate/internal/buildinfo"
)

func cmdVersion(args []string) error {
	fs := newFlagSet("version", "version   (also: tollgate --version)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Println(buildinfo.Read())
	return nil
}
