package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The token file holds one refresh token per line: the chains a run
// drives. The values are live tokens, so the file is written 0600, whole
// (a temporary file renamed over it), and never logged.

func readTokens(path string) ([]*chain, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("-tokens: %w", err)
	}
	defer f.Close()
	var out []*chain
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 64*1024)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			out = append(out, &chain{token: t})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("-tokens %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-tokens %s holds no tokens", path)
	}
	return out, nil
}

// writeTokens saves the chains still driven, with their newest tokens, so
// the next run goes on where this one stopped.
func writeTokens(path string, chains []*chain) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tokens-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	w := bufio.NewWriter(tmp)
	for _, c := range chains {
		if !c.revoked && !c.lost {
			w.WriteString(c.token)
			w.WriteByte('\n')
		}
	}
	err = errors.Join(w.Flush(), tmp.Chmod(0o600), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// grantOf is the grant id a named refresh token carries in the clear
// (tgrt_<grant id>.<generation>.<secret+tag>, internal/mint); "" for a
// legacy token.
func grantOf(token string) string {
	rest, ok := strings.CutPrefix(token, "tgrt_")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, ".")
	if !ok {
		return ""
	}
	return id
}
