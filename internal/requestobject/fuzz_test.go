package requestobject

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// FuzzToParams: whatever JSON object a client signs, turning it into
// authorization parameters never panics, and what comes out is what the
// authorize rules expect: no envelope claim and no nested request or
// request_uri (RFC 9101 §4), each parameter once except resource (RFC 8707
// §2.1); a refusal is invalid_request_object with a description.
func FuzzToParams(f *testing.F) {
	for _, s := range []string{
		`{"iss":"app","aud":"x","exp":1,"nbf":1,"jti":"j","client_id":"app","max_age":300}`,
		`{"resource":["https://a.example/","urn:b"],"claims":{"id_token":{"acr":null}}}`,
		`{"resource":[1]}`, `{"max_age":1.5}`, `{"x":null}`, `{"exp":"soon"}`, `{"aud":["a","b"],"x":true}`,
		`{"request":"a.b.c"}`, `{"max_age":1e300}`, `{"resource":[]}`, `{"resource":{"a":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var claims map[string]any
		if json.Unmarshal(payload, &claims) != nil || claims == nil {
			return // go-jose refuses it before toParams sees it
		}
		p, _, err := toParams(claims)
		if err != nil {
			var e *oautherr.Error
			if !errors.As(err, &e) || e.Code != InvalidRequestObject || e.Status != 400 || e.Description == "" {
				t.Fatalf("refusal %v (%T): want invalid_request_object 400 with a description", err, err)
			}
			return
		}
		checkParams(t, p)
	})
}

func checkParams(t *testing.T, p url.Values) {
	t.Helper()
	for k, v := range p {
		if registered[k] || k == "request" || k == "request_uri" {
			t.Fatalf("parameter %s came out of a request object", k)
		}
		if len(v) != 1 && k != authorize.ParamResource {
			t.Fatalf("parameter %s given %d times", k, len(v))
		}
	}
}

// FuzzUnwrap: a request object signed by the client's own key, with any
// payload and typ, is either accepted with parameters that name the client
// and carry one each, or refused with an *oautherr.Error below 500. The
// parameters come back with a refusal only once they name the client, so
// an error is never redirected on another client's word.
func FuzzUnwrap(f *testing.F) {
	good, _ := json.Marshal(goodClaims())
	f.Add(good, "oauth-authz-req+jwt", false)
	f.Add([]byte(`{"client_id":"other","iss":"app"}`), "", true)
	f.Add([]byte(`{"resource":["urn:a","urn:a"],"client_id":"app"}`), "JWT", false)
	signer := must(jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: clientKey}, (&jose.SignerOptions{}).WithHeader("kid", "k1")))
	f.Fuzz(func(t *testing.T, payload []byte, typ string, pushed bool) {
		s := signer
		if typ != "" {
			s = must(jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: clientKey}, (&jose.SignerOptions{}).WithHeader("kid", "k1").WithType(jose.ContentType(typ))))
		}
		jws, err := s.Sign(payload)
		if err != nil {
			return
		}
		raw, err := jws.CompactSerialize()
		if err != nil {
			return
		}
		if _, err := jwt.ParseSigned(raw, algs); err != nil {
			return
		}
		v, c, _ := setup(t)
		params, err := v.Unwrap(context.Background(), c, url.Values{"client_id": {"app"}, "request": {raw}}, pushed)
		if err != nil {
			var e *oautherr.Error
			if !errors.As(err, &e) || e.Code == "" || e.Description == "" || e.Status >= 500 {
				t.Fatalf("refusal %v (%T): want an *oautherr.Error below 500 with a description", err, err)
			}
		}
		if params == nil {
			return
		}
		if params.Get("client_id") != "app" {
			t.Fatalf("parameters of client %q returned for app (error %v)", params.Get("client_id"), err)
		}
		checkParams(t, params)
	})
}
