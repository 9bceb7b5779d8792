package main

import "testing"

// An id that begins with "-" (one grant id in 64 does; a client id or a
// username may) is the id, not a flag, in first place; a real flag or -h
// there is still a flag. The grants, clients and users verbs share this.
func TestParseWithID(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		id     string
		asJSON bool
		err    bool
	}{
		{args: []string{"-z7Hw5iZB", "--json"}, id: "-z7Hw5iZB", asJSON: true},
		{args: []string{"abc", "--json"}, id: "abc", asJSON: true},
		{args: []string{"--json", "abc"}, id: "abc", asJSON: true},
		{args: []string{"--json", "--", "-abc"}, id: "-abc", asJSON: true},
		{args: []string{"--json=true", "x"}, id: "x", asJSON: true},
		{args: []string{"--", "-abc"}, id: "-abc"},
		{args: []string{"-h"}, err: true},
		{args: []string{"--json", "-abc"}, err: true}, // after a flag, "-abc" is an unknown flag
		{args: []string{"a", "b"}, err: true},
	} {
		fs := newFlagSet("grants show", "grants show ID [--json]")
		asJSON := fs.Bool("json", false, "")
		id, err := parseWithID(fs, tc.args)
		switch {
		case tc.err:
			if err == nil {
				t.Errorf("%q: id %q, no error; want an error", tc.args, id)
			}
		case err != nil || id != tc.id || *asJSON != tc.asJSON:
			t.Errorf("%q = id %q, json %v, %v; want %q, %v", tc.args, id, *asJSON, err, tc.id, tc.asJSON)
		}
	}
}
