package refresh

import (
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The table of signals a consumed token's presentation inside the grace
// window is judged by: the grant's binding first, then the key the first
// presentation proved (recorded on its successor).
func TestKeySignal(t *testing.T) {
	bound := store.Grant{DPoPJKT: "jkt-a"}
	for _, c := range []struct {
		name  string
		g     store.Grant
		proof Proof
		first string
		want  Signal
	}{
		{"no key either time", store.Grant{}, Proof{}, "", ""},
		{"same client key", store.Grant{}, Proof{ClientKey: "ck-1"}, "ck-1", ""},
		{"same DPoP key, unbound", store.Grant{}, Proof{DPoPJKT: "jkt-a", ClientKey: "ck-1"}, "jkt-a", ""},
		{"bound, same key", bound, Proof{DPoPJKT: "jkt-a"}, "jkt-a", ""},
		{"bound, same key and a client key", bound, Proof{DPoPJKT: "jkt-a", ClientKey: "ck-1"}, "jkt-a", ""},
		{"bound, no proof", bound, Proof{}, "jkt-a", SignalDPoPProofMissing},
		{"bound, no proof but the client key", bound, Proof{ClientKey: "ck-1"}, "jkt-a", SignalDPoPProofMissing},
		{"bound, another DPoP key", bound, Proof{DPoPJKT: "jkt-b"}, "jkt-a", SignalDPoPKeyMismatch},
		{"bound, first key unknown, another DPoP key", bound, Proof{DPoPJKT: "jkt-b"}, "", SignalDPoPKeyMismatch},
		{"unbound, another DPoP key", store.Grant{}, Proof{DPoPJKT: "jkt-b"}, "jkt-a", SignalDPoPKeyMismatch},
		{"another client key", store.Grant{}, Proof{ClientKey: "ck-2"}, "ck-1", SignalClientKeyMismatch},
		{"a client key where a DPoP key was proved", store.Grant{}, Proof{ClientKey: "ck-1"}, "jkt-a", SignalClientKeyMismatch},
		{"no key where one was proved", store.Grant{}, Proof{}, "ck-1", SignalProofKeyMissing},
		{"a key where none was proved (an earlier build's successor)", store.Grant{}, Proof{ClientKey: "ck-1"}, "", ""},
	} {
		if got := keySignal(c.g, c.proof, c.first); got != c.want {
			t.Errorf("%s: keySignal = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestSignalTheft(t *testing.T) {
	for sig, theft := range map[Signal]bool{
		SignalOutsideGrace: false, SignalSuccessorUsed: false, SignalSuccessorExpired: false,
		SignalSuccessorGone: false, SignalSuccessorMismatch: false,
		SignalDPoPProofMissing: true, SignalDPoPKeyMismatch: true, SignalClientKeyMismatch: true, SignalProofKeyMissing: true,
	} {
		if sig.Theft() != theft {
			t.Errorf("%s.Theft() = %v, want %v", sig, !theft, theft)
		}
	}
}
