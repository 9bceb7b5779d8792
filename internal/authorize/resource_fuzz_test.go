package authorize_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// fzResourceClients: "web" may name two resources, "none" none.
var fzResourceClients = func() *config.Config {
	sec, all := fzSecret, fzResponseTypes
	return fzFinish(&config.Config{
		Resources: []config.Resource{
			{URI: "https://api.example/fhir", Scopes: []string{"fhir.read"}},
			{URI: "urn:example:journal", Scopes: []string{"journal.read"}},
		},
		Clients: []config.Client{
			{ID: "web", Secret: sec, RedirectURIs: []string{"https://app.example.com/cb"}, ResponseTypes: all,
				Scopes: []string{"openid", "fhir.read", "journal.read"}, Resources: []string{"https://api.example/fhir", "urn:example:journal"}},
			{ID: "none", Secret: sec, RedirectURIs: []string{"https://app.example.com/cb"}, Scopes: []string{"openid"}},
		},
	})
}()

// FuzzValidateResources: any resource parameters (RFC 8707 §2.1), any
// number of times, with any response type. What Validate accepts are
// resources the client may name, each once, each an absolute URI without
// a fragment, and none with a response type that returns an access token
// from the authorization endpoint; a refusal is an *oautherr.Error below
// 500 (invalid_target for a resource the client may not name).
func FuzzValidateResources(f *testing.F) {
	f.Add(uint8(0), "code", "https://api.example/fhir\nurn:example:journal\nhttps://api.example/fhir")
	f.Add(uint8(0), "code token", "https://api.example/fhir")
	f.Add(uint8(1), "code", "https://api.example/fhir")
	f.Add(uint8(0), "code", "https://api.example/fhir#x\n/rel\n\nhttp://")
	f.Fuzz(func(t *testing.T, client uint8, responseType, resources string) {
		c := &fzResourceClients.Clients[int(client)%len(fzResourceClients.Clients)]
		ru := c.RedirectURIs[0]
		p := url.Values{"client_id": {c.ID}, "redirect_uri": {ru}, "response_type": {responseType}, "scope": {"openid"},
			"state": {"s"}, "nonce": {"n"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
		asked := strings.Split(resources, "\n")
		p[authorize.ParamResource] = asked
		req, err := authorize.Validate(p, c, ru, false)
		if err != nil {
			var oe *oautherr.Error
			if !errors.As(err, &oe) || oe.Code == "" || oe.Description == "" || oe.Status >= 500 {
				t.Fatalf("refusal %v (%T): want an *oautherr.Error below 500 with a description", err, err)
			}
			if oe.Code == oautherr.InvalidTarget && !slices.ContainsFunc(asked, func(u string) bool { _, ok := c.Resource(u); return !ok }) {
				t.Fatalf("invalid_target for resources %q the client may all name: %v", asked, err)
			}
			return
		}
		if slices.Contains(strings.Fields(req.ResponseType), "token") && len(req.Resources) > 0 {
			t.Fatalf("resources %q with response_type %q", req.Resources, req.ResponseType)
		}
		for i, u := range req.Resources {
			if _, ok := c.Resource(u); !ok || config.ResourceURIProblem(u) != "" || !slices.Contains(asked, u) {
				t.Fatalf("accepted resource %q for client %q", u, c.ID)
			}
			if slices.Index(req.Resources, u) != i {
				t.Fatalf("resource %q kept twice: %q", u, req.Resources)
			}
		}
		for _, u := range asked {
			if !slices.Contains(req.Resources, u) {
				t.Fatalf("asked resource %q dropped: %q", u, req.Resources)
			}
		}
	})
}
