package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// shutdown stops srv gracefully: no new connections, requests in flight
// may finish for up to timeout (http.shutdown_timeout), then what is left
// is cut. Either way it is a deliberate stop, so it returns nil and the
// process exits 0; the log says how it ended.
func (a *App) shutdown(srv *http.Server, timeout time.Duration) error {
	a.Log.LogAttrs(context.Background(), slog.LevelInfo, "shutting down: accepting no new connections, waiting for requests in flight",
		slog.Duration("timeout", timeout))
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	waited := time.Since(start).Round(time.Millisecond)
	switch {
	case err == nil:
		a.Log.LogAttrs(context.Background(), slog.LevelInfo, "stopped: every request in flight finished",
			slog.Duration("waited", waited))
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		_ = srv.Close() // cut the connections still busy; its error is the listener's, already closed
		a.Log.LogAttrs(context.Background(), slog.LevelWarn, "stopped: requests still in flight at the shutdown timeout were cut",
			slog.Duration("timeout", timeout))
		return nil
	default:
		a.Log.LogAttrs(context.Background(), slog.LevelError, "stopped: shutdown failed", slog.String("error", err.Error()))
		return err
	}
}
