package admin_test

import (
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tollgate-oidc/tollgate/internal/admin"
)

// TestOpenAPIMatchesRoutes holds the OpenAPI document to the routes the API
// serves: each route is documented under its path and method, and each
// documented operation is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                               `yaml:"openapi"`
		Paths   map[string]map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(admin.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi: %q, want 3.x", doc.OpenAPI)
	}
	methods := []string{"get", "put", "post", "delete", "patch"}
	var documented []string
	for path, ops := range doc.Paths {
		for m, op := range ops {
			if !slices.Contains(methods, m) {
				continue // parameters, summary: not operations
			}
			documented = append(documented, strings.ToUpper(m)+" "+path)
			if _, ok := op["responses"]; !ok {
				t.Errorf("%s %s: no responses documented", m, path)
			}
		}
	}
	served := (&admin.API{}).Patterns()
	slices.Sort(documented)
	slices.Sort(served)
	for _, p := range served {
		if !slices.Contains(documented, p) {
			t.Errorf("served but not in openapi.yaml: %s", p)
		}
	}
	for _, p := range documented {
		if !slices.Contains(served, p) {
			t.Errorf("in openapi.yaml but not served: %s", p)
		}
	}
}
