package grant

import (
	"log/slog"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// Log attributes carry ids and reasons, never a token, secret or password.

func logClient(c *config.Client) slog.Attr { return slog.String("client_id", c.ID) }

func logReason(known, passwordOK bool) slog.Attr {
	switch {
	case !known:
		return slog.String("reason", "unknown user")
	case !passwordOK:
		return slog.String("reason", "wrong password")
	default:
		return slog.String("reason", "user disabled")
	}
}
