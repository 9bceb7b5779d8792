package admin

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/keys"
)

// keyRoutes are the signing keys: list and rotate.
func (a *API) keyRoutes() []route {
	return []route{
		{"GET " + PathAPI + "/keys", a.listKeys},
		{"POST " + PathAPI + "/keys/rotate", a.rotateKeys},
	}
}

// listKeys: GET /keys, every signing key with its timeline, as `tollgate
// keys list --json` prints it (this node's view, reloaded every
// keys.ReloadEvery).
func (a *API) listKeys(r *http.Request) (any, error) {
	list := a.Keys.List()
	if list == nil {
		list = []keys.Info{}
	}
	return list, nil
}

// rotateKeys: POST /keys/rotate {alg?}: add a next key for alg, or for
// every algorithm. A next key already waiting is a conflict: it names the
// key and when it activates.
func (a *API) rotateKeys(r *http.Request) (any, error) {
	var body struct {
		Alg string `json:"alg"`
	}
	if r.ContentLength != 0 {
		if err := DecodeJSON(r, &body); err != nil {
			return nil, err
		}
	}
	algs := keys.Algorithms
	if body.Alg != "" {
		if !slices.Contains(keys.Algorithms, body.Alg) {
			return nil, BadRequest("alg %q: Tollgate signs with %s", body.Alg, strings.Join(keys.Algorithms, " and "))
		}
		algs = []string{body.Alg}
	}
	// Refuse before rotating anything: a second key waiting for one
	// algorithm must not leave the other rotated and the answer a 409.
	if err := a.Keys.Reload(r.Context()); err != nil && !errors.Is(err, keys.ErrKeptMissing) {
		return nil, err
	}
	for _, in := range a.Keys.List() {
		if in.State == keys.StateNext && slices.Contains(algs, in.Algorithm) {
			return nil, Conflict("keys: %s key %q activates at %s: %v; nothing rotated", in.Algorithm, in.KID,
				in.ActivatesAt.UTC().Format(time.RFC3339), keys.ErrPending)
		}
	}
	added := []keys.Info{}
	for _, alg := range algs {
		in, err := a.Keys.Rotate(r.Context(), alg)
		if errors.Is(err, keys.ErrPending) {
			return nil, Conflict("%v", err)
		}
		if err != nil {
			return nil, err
		}
		added = append(added, in)
	}
	return Created{added}, nil
}
