package app

import (
	"io"
	"log/slog"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
)

// NewLogger is the server's one logger, as the configuration asks:
// log_format text (key=value) or json (one object a line), at log_level,
// and every record logged with a request's context carries its
// request_id (reqlog.Handler). The values were validated by config.
func NewLogger(w io.Writer, cfg *config.Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	return NewLoggerAt(w, cfg.LogFormat, level)
}

// NewLoggerAt is NewLogger with the level given: tests log at debug
// whatever the configuration says.
func NewLoggerAt(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(reqlog.NewHandler(h))
}
