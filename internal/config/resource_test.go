package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// withResources is validConfig with two APIs, the "web" client allowed both.
func withResources(t *testing.T) *Config {
	c := validConfig(t)
	c.Resources = []Resource{
		{URI: "https://api.example/fhir", Scopes: []string{"fhir.read", "fhir.write"}},
		{URI: "urn:example:journal", Scopes: []string{"journal.read"},
			AccessTokenLifetime: ptr(time.Minute), AccessTokenSigningAlg: "RS256"},
	}
	c.Clients[0].Resources = []string{"https://api.example/fhir", "urn:example:journal"}
	return c
}

func TestResourcesValid(t *testing.T) {
	c := withResources(t)
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	web, _ := c.Client("web")
	fhir, ok := web.Resource("https://api.example/fhir")
	if !ok || !slices.Equal(fhir.Audience(), []string{"https://api.example/fhir"}) {
		t.Fatalf("fhir: %v %+v", ok, fhir)
	}
	// Without settings of its own, the resource's token is the client's.
	if life, alg := fhir.AccessToken(web.Tokens); life != DefaultAccessTokenTTL || alg != DefaultAccessTokenSigningAlg {
		t.Fatalf("fhir token: %v %s", life, alg)
	}
	j, _ := web.Resource("urn:example:journal")
	if life, alg := j.AccessToken(web.Tokens); life != time.Minute || alg != "RS256" {
		t.Fatalf("journal token: %v %s", life, alg)
	}
	// Another client names no resource, so it may ask for none.
	svc, _ := c.Client("svc")
	if _, ok := svc.Resource("https://api.example/fhir"); ok {
		t.Fatal("svc may ask for a resource it does not list")
	}
	if _, ok := web.Resource("https://api.example/fhir/"); ok {
		t.Fatal("resources are compared as strings: a trailing slash is another resource")
	}
}

// TestResourceRules: each rule of the resources block, broken once.
func TestResourceRules(t *testing.T) {
	cases := []ruleCase{
		{"relative uri", func(c *Config) { c.Resources[0].URI = "/fhir" }, "resources[0].uri", "not an absolute URI"},
		{"empty uri", func(c *Config) { c.Resources[0].URI = "" }, "resources[0].uri", "is empty"},
		{"fragment", func(c *Config) { c.Resources[0].URI = "https://api.example/fhir#x" }, "resources[0].uri", "fragment"},
		{"empty fragment", func(c *Config) { c.Resources[0].URI = "https://api.example/fhir#" }, "resources[0].uri", "fragment"},
		{"no host", func(c *Config) { c.Resources[0].URI = "https:///fhir" }, "resources[0].uri", "no host"},
		{"duplicate", func(c *Config) { c.Resources[1].URI = c.Resources[0].URI }, "resources[1].uri", "duplicates resources[0]"},
		{"no scopes", func(c *Config) { c.Resources[0].Scopes = nil }, "resources[0].scopes", "at least one scope"},
		{"bad scope", func(c *Config) { c.Resources[0].Scopes = []string{"a b"} }, "resources[0].scopes[0]", "not a valid scope token"},
		{"openid", func(c *Config) { c.Resources[0].Scopes = []string{"fhir.read", "openid"} }, "resources[0].scopes[1]", "OpenID Connect scope"},
		{"offline_access", func(c *Config) { c.Resources[0].Scopes = []string{"offline_access"} }, "resources[0].scopes[0]", "OpenID Connect scope"},
		{"zero lifetime", func(c *Config) { c.Resources[0].AccessTokenLifetime = ptr(time.Duration(0)) }, "resources[0].access_token_lifetime", "greater than 0"},
		{"alg", func(c *Config) { c.Resources[1].AccessTokenSigningAlg = "HS256" }, "resources[1].access_token_signing_alg", "not supported"},
		{"client names an undefined resource", func(c *Config) { c.Clients[0].Resources = append(c.Clients[0].Resources, "https://other.example") },
			`clients[0] "web".resources[2]`, "not one of the resources defined"},
		{"client lists one twice", func(c *Config) { c.Clients[0].Resources = append(c.Clients[0].Resources, "urn:example:journal") },
			`clients[0] "web".resources[2]`, "listed twice"},
	}
	for i := range cases {
		brk := cases[i].break_
		cases[i].break_ = func(c *Config) {
			*c = *withResources(t)
			brk(c)
		}
	}
	runRuleCases(t, cases)
}

func TestResourceURIProblem(t *testing.T) {
	for raw, want := range map[string]string{
		"https://api.example/fhir":        "",
		"https://api.example/fhir?v=2":    "", // RFC 8707 §2: a query is allowed
		"urn:example:journal":             "",
		"api.example/fhir":                "absolute",
		"https://api.example/#":           "fragment",
		"https://api.example/%zz":         "not a URI",
		"":                                "empty",
		"https:/fhir":                     "no host",
		"https://api.example/fhir#frag":   "fragment",
		"//api.example/protocol-relative": "absolute",
	} {
		got := ResourceURIProblem(raw)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("ResourceURIProblem(%q) = %q, want …%s…", raw, got, want)
		}
	}
}

// TestResourcesFromYAML: the keys as an operator writes them.
func TestResourcesFromYAML(t *testing.T) {
	c, err := Parse([]byte(`
issuer: https://login.example.com
resources:
  - uri: https://api.example/fhir
    scopes: [fhir.read]
    access_token_lifetime: 2m
    access_token_signing_alg: RS256
clients:
  - id: svc
    secret: ` + testSecret + `
    grant_types: [client_credentials]
    scopes: [fhir.read]
    resources: [https://api.example/fhir]
`))
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := c.Client("svc")
	r, ok := svc.Resource("https://api.example/fhir")
	if !ok {
		t.Fatal("svc cannot ask for its resource")
	}
	if life, alg := r.AccessToken(svc.Tokens); life != 2*time.Minute || alg != "RS256" {
		t.Fatalf("%v %s", life, alg)
	}
}
