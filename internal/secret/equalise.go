package secret

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// CostClass names the work that verifying hash costs: its algorithm and
// every parameter that changes the time or memory of one check. Two hashes
// of one class cost the same to verify, whatever their salt and password.
func CostClass(hash string) (string, error) {
	switch {
	case isBcrypt(hash):
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrMalformedHash, err)
		}
		return fmt.Sprintf("bcrypt cost=%d", cost), nil
	case strings.HasPrefix(hash, "$argon2id$"):
		p, err := parseArgon2id(hash)
		if err != nil {
			return "", err
		}
		return argonClass(p.memory, p.time, p.threads, len(p.key)), nil
	default:
		return "", fmt.Errorf("%w: expected an argon2id PHC string ($argon2id$...) or a bcrypt hash ($2a$, $2b$, $2y$)", ErrMalformedHash)
	}
}

func argonClass(m, t uint32, p uint8, keyLen int) string {
	return fmt.Sprintf("argon2id m=%d t=%d p=%d len=%d", m, t, p, keyLen)
}

// Equaliser verifies passwords so that every check costs the same work,
// whether the username exists and whatever hash the user has: timing must
// not tell an attacker which usernames are real (issue 10, flaw 6; OWASP
// Authentication Cheat Sheet, "Authentication Responses").
//
// The design: at start it makes one dummy hash per distinct cost class
// among the users' hashes. Each check then computes exactly one hash of
// every class: the user's own for the user's class, a dummy for each
// other class, and only dummies for an unknown user. The work is the same
// set of computations for every username, so it stays equal under load
// too, where padding to a measured floor would drift. The price is that a
// check costs the sum of the classes: keep users on one setting (rehash on
// import), and the cost is one hash.
type Equaliser struct {
	dummies []dummy // sorted by class
	// verify is VerifyPassword; tests record the hashes it computes.
	verify func(hash, pw string) (bool, error)
}

type dummy struct {
	class, hash string
}

// NewEqualiser prepares the dummy hashes for the users' hashes. With no
// hashes, an unknown user costs one argon2id check at HashPassword's
// parameters.
func NewEqualiser(hashes []string) (*Equaliser, error) {
	e := &Equaliser{verify: VerifyPassword}
	seen := map[string]bool{}
	for _, h := range hashes {
		class, err := CostClass(h)
		if err != nil {
			return nil, err
		}
		if seen[class] {
			continue
		}
		seen[class] = true
		d, err := dummyLike(h)
		if err != nil {
			return nil, err
		}
		e.dummies = append(e.dummies, dummy{class: class, hash: d})
	}
	if len(e.dummies) == 0 {
		d, err := HashPassword(randomPassword())
		if err != nil {
			return nil, err
		}
		e.dummies = append(e.dummies, dummy{class: argonClass(argonMemoryKiB, argonTime, argonThreads, argonKeyLen), hash: d})
	}
	slices.SortFunc(e.dummies, func(a, b dummy) int { return cmp.Compare(a.class, b.class) })
	return e, nil
}

// Classes lists the cost classes one check computes, sorted.
func (e *Equaliser) Classes() []string {
	out := make([]string, len(e.dummies))
	for i, d := range e.dummies {
		out[i] = d.class
	}
	return out
}

// Verify reports whether pw matches hash, the user's password hash, or ""
// for a user who does not exist (never a match). Either way it computes
// one hash of every class.
func (e *Equaliser) Verify(hash, pw string) (bool, error) {
	class := ""
	if hash != "" {
		c, err := CostClass(hash)
		if err != nil {
			return false, err
		}
		class = c
	}
	ok, checked := false, false
	for _, d := range e.dummies {
		if d.class == class && !checked {
			var err error
			if ok, err = e.verify(hash, pw); err != nil {
				return false, err
			}
			checked = true
			continue
		}
		if _, err := e.verify(d.hash, pw); err != nil {
			return false, err
		}
	}
	if hash != "" && !checked {
		// A hash of a class not seen at start: verify it too, at its cost.
		return e.verify(hash, pw)
	}
	return ok, nil
}

// dummyLike returns a hash of a random password with the cost parameters
// of hash.
func dummyLike(hash string) (string, error) {
	if isBcrypt(hash) {
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return "", err
		}
		b, err := bcrypt.GenerateFromPassword([]byte(randomPassword()), cost)
		return string(b), err
	}
	p, err := parseArgon2id(hash)
	if err != nil {
		return "", err
	}
	salt := make([]byte, max(len(p.salt), argonSaltLen))
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(randomPassword()), salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func randomPassword() string { return Generate() }
