package admin

import (
	_ "embed"
	"net/http"
)

// openAPI describes the admin API (OpenAPI 3.1). TestOpenAPIMatchesRoutes
// holds it to the routes: every route documented, nothing documented that
// is not served.
//
//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the document.
func OpenAPI() []byte { return openAPI }

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openAPI)
}
