package grant

import (
	"slices"
	"testing"
)

// TestUseStoreEqualisesTheStoreUsersClass: store users are hashed with
// secret.HashPassword's parameters, so once the checks look in the store
// that class is computed on every check, known user or not: a store
// user's check costs what a file user's or an unknown name's does.
func TestUseStoreEqualisesTheStoreUsersClass(t *testing.T) {
	f := newPwFixture(t, nil)
	if err := f.p.UseStore(f.h.Users); err != nil {
		t.Fatal(err)
	}
	want := []string{"argon2id m=19456 t=2 p=1 len=32", "argon2id m=64 t=1 p=1 len=32", "bcrypt cost=4"}
	if got := f.p.equal.Classes(); !slices.Equal(got, want) {
		t.Fatalf("classes %v, want %v", got, want)
	}
}
