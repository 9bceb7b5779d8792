package authorize_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

const (
	polFHIR    = "https://api.example/fhir"
	polJournal = "urn:example:journal"
)

// polResourceClient is "web" allowed two resources (RFC 8707), and "pkce"
// allowed none.
func polResourceClients(t *testing.T) (web, none *config.Client) {
	t.Helper()
	cfg := polConfig(t)
	cfg.Resources = []config.Resource{
		{URI: polFHIR, Scopes: []string{"fhir.read"}},
		{URI: polJournal, Scopes: []string{"journal.read"}},
	}
	cfg.Clients[0].Resources = []string{polFHIR, polJournal}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	web, _ = cfg.Client("web")
	none, _ = cfg.Client("pkce")
	return web, none
}

func TestValidateResources(t *testing.T) {
	web, none := polResourceClients(t)
	fhir, journal := url.QueryEscape(polFHIR), url.QueryEscape(polJournal)
	ir, it := oautherr.InvalidRequest, oautherr.InvalidTarget
	for _, tc := range []struct {
		name   string
		client *config.Client
		query  string
		code   string
		want   []string
	}{
		{"none", web, "response_type=code", "", nil},
		{"one", web, "response_type=code&resource=" + fhir, "", []string{polFHIR}},
		{"two, in order", web, "response_type=code&resource=" + journal + "&resource=" + fhir, "", []string{polJournal, polFHIR}},
		{"named twice counts once", web, "response_type=code&resource=" + fhir + "&resource=" + fhir, "", []string{polFHIR}},
		{"code id_token", web, "response_type=code+id_token&scope=openid&nonce=n&resource=" + fhir, "", []string{polFHIR}},
		{"not the client's", web, "response_type=code&resource=" + url.QueryEscape("https://other.example"), it, nil},
		{"one good, one not", web, "response_type=code&resource=" + fhir + "&resource=" + url.QueryEscape("https://other.example"), it, nil},
		{"relative", web, "response_type=code&resource=%2Ffhir", it, nil},
		{"fragment", web, "response_type=code&resource=" + url.QueryEscape(polFHIR+"#x"), it, nil},
		{"empty", web, "response_type=code&resource=", it, nil},
		{"client with no resources", none, "response_type=code&resource=" + fhir, it, nil},
		{"front-channel access token", web, "response_type=code+token&scope=openid&resource=" + fhir, ir, nil},
		{"other parameters still may not repeat", web, "response_type=code&resource=" + fhir + "&resource=" + journal + "&state=a&state=b", ir, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := authorize.Validate(polQuery(t, tc.query), tc.client, tc.client.RedirectURIs[0], false)
			polWantErr(t, err, tc.code)
			var e *oautherr.Error
			if tc.name == "relative" && (!errors.As(err, &e) || !strings.Contains(e.Description, "not an absolute URI")) {
				t.Fatalf("a malformed resource is answered %v; say what is wrong with it", err)
			}
			if tc.code == "" && !slices.Equal(r.Resources, tc.want) {
				t.Fatalf("resources %q, want %q", r.Resources, tc.want)
			}
		})
	}
}

// The resources travel with a parked request (stored as JSON while the
// user signs in) to the code.
func TestParkedRequestKeepsResources(t *testing.T) {
	web, _ := polResourceClients(t)
	r, err := authorize.Validate(polQuery(t, "response_type=code&resource="+url.QueryEscape(polFHIR)+"&resource="+url.QueryEscape(polJournal)), web, polWebCB, false)
	polWantErr(t, err, "")
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back authorize.Request
	if err := json.Unmarshal(raw, &back); err != nil || !slices.Equal(back.Resources, []string{polFHIR, polJournal}) {
		t.Fatalf("parked and read back: %q (%v)", back.Resources, err)
	}
}
