package main

import (
	"fmt"
	"os"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// cmdCheck loads a configuration the way serve does and reports every
// problem (exit 1) and every warning serve would log at start (exit 0),
// without opening the store or listening.
func cmdCheck(args []string) error {
	fs := newFlagSet("check", "check --config tollgate.yaml")
	var cf configFlags
	cf.registerConfig(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cf.path == "" {
		return &usageError{verb: "check", msg: "say which file to check: --config tollgate.yaml"}
	}
	cfg, err := config.Load(cf.path)
	if err != nil {
		return err
	}
	ws := configWarnings(cfg)
	for _, w := range ws {
		fmt.Fprintf(os.Stderr, "warning: configuration: %s\n", w)
	}
	fmt.Printf("configuration is valid: %d client(s), %d user(s), issuer %s, %d warning(s)\n",
		len(cfg.Clients), len(cfg.Users), cfg.Issuer, len(ws))
	return nil
}

// configWarnings are the configuration's warnings, the one list serve logs
// at start and check prints, so the two never disagree.
func configWarnings(cfg *config.Config) []string { return cfg.Warnings() }
