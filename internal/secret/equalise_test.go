package secret

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// recording wraps an Equaliser's verification and records the cost class
// of every hash it computes.
func recording(t *testing.T, e *Equaliser) *[]string {
	var classes []string
	real := e.verify
	e.verify = func(hash, pw string) (bool, error) {
		c, err := CostClass(hash)
		if err != nil {
			t.Fatalf("verified a hash with no cost class: %v", err)
		}
		classes = append(classes, c)
		return real(hash, pw)
	}
	return &classes
}

func TestCostClass(t *testing.T) {
	argon, _ := HashPassword("x")
	b10, _ := bcrypt.GenerateFromPassword([]byte("x"), 10)
	b4, _ := bcrypt.GenerateFromPassword([]byte("x"), 4)
	for hash, want := range map[string]string{
		argon:                    "argon2id m=19456 t=2 p=1 len=32",
		string(b10):              "bcrypt cost=10",
		"$2y$" + string(b10)[4:]: "bcrypt cost=10",
		string(b4):               "bcrypt cost=4",
	} {
		if got, err := CostClass(hash); err != nil || got != want {
			t.Errorf("CostClass(%.10s…) = %q, %v; want %q", hash, got, err, want)
		}
	}
	if _, err := CostClass("plaintext"); err == nil {
		t.Error("CostClass(plaintext) = nil error")
	}
}

// TestEqualiserSpendsTheSameWorkForEveryUsername is flaw 6 of issue 10: a
// bcrypt user (cost 10, ~50 ms) answered slower than an unknown user (one
// argon2id dummy, ~17 ms), so timing told which usernames exist. Every
// check now computes one hash of each configured cost class, whoever asks.
func TestEqualiserSpendsTheSameWorkForEveryUsername(t *testing.T) {
	argonUser, _ := HashPassword("argon-pw")
	b, _ := bcrypt.GenerateFromPassword([]byte("bcrypt-pw"), 10)
	bcryptUser := string(b)
	argonUser2, _ := HashPassword("other") // same class as argonUser: one dummy
	e, err := NewEqualiser([]string{argonUser, bcryptUser, argonUser2})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Classes(); !slices.Equal(got, []string{"argon2id m=19456 t=2 p=1 len=32", "bcrypt cost=10"}) {
		t.Fatalf("classes %v", got)
	}
	calls := recording(t, e)
	check := func(name, hash, pw string, want bool) []string {
		t.Helper()
		*calls = nil
		ok, err := e.Verify(hash, pw)
		if err != nil || ok != want {
			t.Fatalf("%s: Verify = %v, %v; want %v", name, ok, err, want)
		}
		got := slices.Clone(*calls)
		slices.Sort(got)
		return got
	}
	unknown := check("unknown user", "", "bcrypt-pw", false)
	if !slices.Equal(unknown, e.Classes()) {
		t.Fatalf("unknown user computed %v, want one of each class %v", unknown, e.Classes())
	}
	for _, c := range []struct {
		name, hash, pw string
		want           bool
	}{
		{"bcrypt user, right password", bcryptUser, "bcrypt-pw", true},
		{"bcrypt user, wrong password", bcryptUser, "argon-pw", false},
		{"argon2id user, right password", argonUser, "argon-pw", true},
		{"argon2id user, wrong password", argonUser, "bcrypt-pw", false},
	} {
		if got := check(c.name, c.hash, c.pw, c.want); !slices.Equal(got, unknown) {
			t.Errorf("%s computed %v, an unknown user %v", c.name, got, unknown)
		}
	}
}

func TestEqualiserWithoutUsersStillSpendsAnArgon2idCheck(t *testing.T) {
	e, err := NewEqualiser(nil)
	if err != nil {
		t.Fatal(err)
	}
	calls := recording(t, e)
	if ok, err := e.Verify("", "x"); ok || err != nil {
		t.Fatalf("Verify(unknown) = %v, %v", ok, err)
	}
	if len(*calls) != 1 || !strings.HasPrefix((*calls)[0], "argon2id m=19456") {
		t.Fatalf("computed %v, want one argon2id check at the default parameters", *calls)
	}
}

func TestEqualiserRefusesMalformedHash(t *testing.T) {
	if _, err := NewEqualiser([]string{"plaintext"}); err == nil {
		t.Fatal("NewEqualiser accepted a malformed hash")
	}
}
