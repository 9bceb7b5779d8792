package admin

import (
	"errors"
	"net/http"
	"slices"
	"strings"

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
	// All or none: a key waiting for one algorithm refuses the lot, so
	// the other is not rotated behind a 409.
	added, err := a.Keys.RotateAll(r.Context(), algs)
	if errors.Is(err, keys.ErrPending) {
		return nil, Conflict("%v; nothing rotated", err)
	}
	if err != nil {
		return nil, err
	}
	return Created{added}, nil
}
