package sqlite

import (
	"encoding/json"
	"slices"
	"testing"
)

// listSeeds are lists as Tollgate writes them, and values that must not
// take plainList's short cut (escapes, non-ASCII, HTML characters that
// json.Marshal escapes, separators inside a value).
var listSeeds = []string{
	`[]`, `[""]`, `["openid"]`, `["openid","offline_access","profile"]`, `["a,b","c]","[d"]`,
	`["say \"hi\""]`, `["a\\b"]`, `["\u00e9t\u00e9"]`, `["été"]`, `["<script>"]`, `["\u003c"]`,
	`[ "a" ]`, `["a",]`, `["a""b"]`, `["a"`, `[`, `]`, `"a"`, `[1]`, `[null]`, `["a",null]`, `["\t"]`,
	`["` + "\x7f" + `"]`, `["` + "\xff" + `"]`, "[\"a\"]\x00",
}

// plainList must agree with encoding/json whenever it answers, so the
// short cut never reads a stored list differently from json.Unmarshal.
func FuzzPlainList(f *testing.F) {
	for _, s := range listSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := plainList(s)
		if !ok {
			return
		}
		var want []string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("plainList(%q) = %q, but json.Unmarshal fails: %v", s, got, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("plainList(%q) = %q, json.Unmarshal %q", s, got, want)
		}
	})
}

// What list writes, listCol reads back, whatever the strings hold; an
// empty list reads back nil.
func FuzzListRoundTrip(f *testing.F) {
	f.Add("openid", "offline_access", "")
	f.Add(`a"b`, "c\\d", "é\x00\xff")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, in := range [][]string{nil, {a}, {a, b}, {a, b, c}} {
			var out []string
			if err := (listCol{&out}).Scan(list(in)); err != nil {
				t.Fatalf("%q: %v", in, err)
			}
			// json.Marshal writes invalid UTF-8 as U+FFFD, so compare with
			// what encoding/json itself reads back.
			var want []string
			if err := json.Unmarshal([]byte(list(in)), &want); err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				want = nil
			}
			if !slices.Equal(out, want) || (out == nil) != (want == nil) {
				t.Fatalf("%q: read back %q, want %q", in, out, want)
			}
		}
	})
}

func TestListCol(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want []string
		err  bool
	}{
		{`[]`, nil, false},
		{`["openid","offline_access"]`, []string{"openid", "offline_access"}, false},
		{[]byte(`["pwd","otp"]`), []string{"pwd", "otp"}, false},
		{`["a\"b"]`, []string{`a"b`}, false},
		{`["a",`, nil, true},
		{`{}`, nil, true},
		{int64(1), nil, true},
	} {
		var got []string
		err := (listCol{&got}).Scan(tc.in)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("Scan(%v) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}
