package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with the configuration.
type Problem struct {
	// Field is the path of the offending value, e.g. `tokens.refresh_token.idle_lifetime`
	// or `clients[2] "spa".allow_offline_access`, or "line N" for a YAML error.
	Field  string
	Reason string
}

func (p Problem) String() string { return p.Field + ": " + p.Reason }

// Error is every problem found in one configuration, reported together so
// the operator can fix the file in one pass. Its Error text lists one
// problem per line.
type Error struct {
	File     string // the file read, if any
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if len(e.Problems) == 1 {
		b.WriteString("invalid configuration: ")
		b.WriteString(e.Problems[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, "invalid configuration (%d problems):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// checker collects problems and warnings while validating.
type checker struct {
	problems []Problem
	warnings []string
}

func (c *checker) add(field, format string, args ...any) {
	c.problems = append(c.problems, Problem{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (c *checker) warn(field, format string, args ...any) {
	c.warnings = append(c.warnings, field+": "+fmt.Sprintf(format, args...))
}
