package authorize_test

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// limitsRequest is a valid code request of the web client, with every
// stored parameter at its cap.
func limitsRequest() url.Values {
	v := url.Values{"client_id": {"web"}, "redirect_uri": {polWebCB}, "response_type": {"code"}, "scope": {"openid"}}
	for _, k := range []string{"state", "nonce", "login_hint", "ui_locales", "acr_values"} {
		v.Set(k, strings.Repeat("a", authorize.MaxParamBytes[k]))
	}
	v.Set("unknown_extension", strings.Repeat("x", authorize.MaxOtherParamBytes))
	return v
}

// TestParameterLengthCaps is flaw 3 of issue 10: state, nonce, login_hint
// and the like had no bound, and an unauthenticated request is stored.
// Each parameter at its cap passes; one byte over is invalid_request
// naming the parameter and the limit.
func TestParameterLengthCaps(t *testing.T) {
	c := polClient(t, "web")
	if _, err := authorize.Validate(limitsRequest(), c, polWebCB, false); err != nil {
		t.Fatalf("every parameter at its cap: %v", err)
	}
	for _, k := range []string{"state", "nonce", "login_hint", "ui_locales", "acr_values", "scope", "prompt", "max_age",
		"response_mode", "code_challenge", "unknown_extension"} {
		limit, ok := authorize.MaxParamBytes[k]
		if !ok {
			limit = authorize.MaxOtherParamBytes
		}
		p := limitsRequest()
		p.Set(k, strings.Repeat("a", limit+1))
		req, err := authorize.Validate(p, c, polWebCB, false)
		var e *oautherr.Error
		if !errors.As(err, &e) || e.Code != oautherr.InvalidRequest {
			t.Errorf("%s over its cap: %v, want invalid_request", k, err)
			continue
		}
		if want := fmt.Sprintf("the %s parameter is %d bytes long; the limit is %d bytes", k, limit+1, limit); e.Description != want {
			t.Errorf("%s: description %q, want %q", k, e.Description, want)
		}
		if k == "state" && req.State != "" {
			t.Errorf("an over-long state is echoed back (%d bytes)", len(req.State))
		}
		if k != "state" && req.State == "" {
			t.Errorf("%s over its cap: the state is no longer echoed", k)
		}
	}
}

func TestStoredParametersRefuseControlCharacters(t *testing.T) {
	c := polClient(t, "web")
	for _, k := range []string{"state", "nonce", "login_hint", "ui_locales", "acr_values"} {
		p := limitsRequest()
		p.Set(k, "abc\x00def")
		_, err := authorize.Validate(p, c, polWebCB, false)
		polWantErr(t, err, oautherr.InvalidRequest)
		if !strings.Contains(err.Error(), k) {
			t.Errorf("%s: %v does not name the parameter", k, err)
		}
	}
	// Bytes that are not UTF-8 are refused too: the nonce goes into the ID
	// token's JSON, which cannot carry them, and PostgreSQL's text columns
	// refuse them (the code would fail to store after the user signed in).
	for _, k := range []string{"state", "nonce", "login_hint", "ui_locales", "acr_values"} {
		p := limitsRequest()
		p.Set(k, "abc\xffdef")
		_, err := authorize.Validate(p, c, polWebCB, false)
		polWantErr(t, err, oautherr.InvalidRequest)
		if !strings.Contains(err.Error(), k) || !strings.Contains(err.Error(), "UTF-8") {
			t.Errorf("%s: %v does not name the parameter and the problem", k, err)
		}
	}
	// Printable text, spaces and non-ASCII letters are fine.
	p := limitsRequest()
	p.Set("login_hint", "Åse Ødegård <ase@example.no>")
	if _, err := authorize.Validate(p, c, polWebCB, false); err != nil {
		t.Fatalf("a printable login_hint: %v", err)
	}
}

func TestParseClientCapsClientIDAndRedirectURI(t *testing.T) {
	cfg := polConfig(t)
	for _, k := range []string{"client_id", "redirect_uri"} {
		p := url.Values{"client_id": {"web"}, "redirect_uri": {polWebCB}}
		p.Set(k, strings.Repeat("a", authorize.MaxParamBytes[k]+1))
		_, _, perr := authorize.ParseClient(p, cfg)
		if perr == nil || perr.Code != oautherr.InvalidRequest || !strings.Contains(perr.Message, k) ||
			len(perr.Message) > 200 {
			t.Errorf("%s over its cap: %v", k, perr)
		}
	}
}
