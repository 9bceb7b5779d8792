package grant_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
)

// Theft inside the grace window answers invalid_grant (RFC 6749 §5.2) with
// words that say the grant is gone and what the request lacked, not the
// words of a plain reuse, and never a server_error.
func TestStolenIsInvalidGrant(t *testing.T) {
	var oe *oautherr.Error
	if !errors.As(grant.RefreshError(fmt.Errorf("wrapped: %w", refresh.ErrStolen)), &oe) {
		t.Fatal("not an OAuth error")
	}
	if oe.Code != oautherr.InvalidGrant || oe.Status != http.StatusBadRequest {
		t.Fatalf("ErrStolen -> %s %d, want invalid_grant 400", oe.Code, oe.Status)
	}
	if !strings.Contains(oe.Description, "did not prove the key") || !strings.Contains(oe.Description, "revoked") {
		t.Fatalf("description %q does not say what happened", oe.Description)
	}
	if !refresh.IsRejection(refresh.ErrStolen) {
		t.Fatal("ErrStolen is not a rejection (introspection would answer 500)")
	}
}
