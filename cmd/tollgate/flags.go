package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes, the same for every verb: 0 done (and -h), 1 the work failed
// (a bad configuration, a store that cannot be opened), 2 the command line
// itself is wrong (unknown verb or flag, a stray argument).
const (
	exitFailed = 1
	exitUsage  = 2
)

// usageError is a mistake in the command line, as opposed to a failure of
// the work: main exits 2 and points at the verb's -h.
type usageError struct {
	verb string
	msg  string
}

func (e *usageError) Error() string { return e.msg }

// hint is the one line a user sees for a usage mistake.
func (e *usageError) hint() string {
	if e.verb == "" {
		return fmt.Sprintf("tollgate: %s (run 'tollgate -h' for the commands)", e.msg)
	}
	return fmt.Sprintf("tollgate %s: %s (run 'tollgate %s -h' for its flags)", e.verb, e.msg, e.verb)
}

// newFlagSet is a verb's own flag set. Its output stays discarded while
// parsing, so the flag package's own reports print nothing; parseFlags
// prints -h (to standard output, since it was asked for) and turns a parse
// error into one line.
func newFlagSet(verb, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: tollgate %s\n", synopsis)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprint(out, "\nflags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses a verb's arguments. It returns flag.ErrHelp for -h
// (main exits 0), a *usageError for an unknown flag, a bad value or an
// argument the verb does not take (main exits 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(os.Stdout)
		fs.Usage()
		return err
	}
	if err != nil {
		return &usageError{verb: fs.Name(), msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return &usageError{verb: fs.Name(), msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// exitCode maps what a verb returned to the process's exit status and
// prints what the user needs to see on standard error.
func exitCode(verb string, err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		if ue.verb == "" {
			ue.verb = verb
		}
		fmt.Fprintln(os.Stderr, ue.hint())
		return exitUsage
	default:
		fmt.Fprintf(os.Stderr, "tollgate %s: %s\n", verb, strings.TrimRight(err.Error(), "\n"))
		return exitFailed
	}
}
