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

// parseWithID parses a verb that takes one id (a grant's, a client's, a
// username) beside its flags, before or after them. An id may begin with
// "-" (a grant id is random base64url, so one in 64 does; a client id or
// a username is whatever its owner chose): first, it is the id unless it
// names one of the verb's flags (or -h); after the flags, "--" ends them
// as usual. It returns "" when no id was given.
func parseWithID(fs *flag.FlagSet, args []string) (string, error) {
	var id string
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || !namesFlag(fs, args[0])) {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", parseFlags(fs, args) // the same -h and usage errors as every verb
	}
	switch {
	case fs.NArg() == 1 && id == "":
		id = fs.Arg(0)
	case fs.NArg() > 0:
		return "", &usageError{verb: fs.Name(), msg: fmt.Sprintf("unexpected argument %q", fs.Arg(fs.NArg()-1))}
	}
	return id, nil
}

// namesFlag: arg is -name, --name or -name=value for one of fs's flags,
// or -h / -help, or "--".
func namesFlag(fs *flag.FlagSet, arg string) bool {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	switch name {
	case "", "h", "help":
		return true
	}
	return fs.Lookup(name) != nil
}
