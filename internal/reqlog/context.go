package reqlog

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
)

// AttrRequestID and AttrClientID are the attribute keys every line uses.
const (
	AttrRequestID = "request_id"
	AttrClientID  = "client_id"
)

// Info is what a request's log lines share. Only the request's own
// goroutine may use it: SetClient writes ClientID, and the first
// RemoteAddr caches the address, so neither is safe beside another
// goroutine.
type Info struct {
	ID       string // the request id, as returned in X-Request-Id
	ClientID string // the client the request names, once known; "" before
	// req and access give RemoteAddr and UserAgent on demand, so a request
	// that records neither pays for neither; remote keeps the address once
	// worked out (the trusted-proxy walk), for the access line and a
	// refresh token's lineage alike.
	req       *http.Request
	access    *Access
	remote    string
	remoteSet bool
}

// remoteAddr is the request's client address, worked out once.
func (i *Info) remoteAddr() string {
	if !i.remoteSet {
		i.remote, i.remoteSet = i.access.remote(i.req), true
	}
	return i.remote
}

type infoKey struct{}

// infoContext is context.WithValue(parent, infoKey{}, info) without an
// allocation of its own: Access embeds it in its per-request struct.
// Done, Err and Deadline are the parent's, so context.WithCancel on it
// still hooks into the parent's cancellation without a goroutine.
type infoContext struct {
	context.Context
	info *Info
}

func (c *infoContext) Value(key any) any {
	if key == (infoKey{}) {
		return c.info
	}
	return c.Context.Value(key)
}

// WithInfo returns ctx carrying info.
func WithInfo(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, infoKey{}, info)
}

// FromContext returns the request's Info, or nil outside a request.
func FromContext(ctx context.Context) *Info {
	i, _ := ctx.Value(infoKey{}).(*Info)
	return i
}

// RequestID is the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if i := FromContext(ctx); i != nil {
		return i.ID
	}
	return ""
}

// ClientID is the client id recorded for the request ctx belongs to, or "".
func ClientID(ctx context.Context) string {
	if i := FromContext(ctx); i != nil {
		return i.ClientID
	}
	return ""
}

// RemoteAddr is the address of the client of the request ctx belongs to,
// by the trusted-proxy rules (the access line's remote), or "" outside a
// request.
func RemoteAddr(ctx context.Context) string {
	if i := FromContext(ctx); i != nil && i.req != nil {
		return i.remoteAddr()
	}
	return ""
}

// maxUserAgent caps a recorded User-Agent: enough to tell browsers and
// libraries apart, not a place to store a kilobyte a client chose.
const maxUserAgent = 256

// UserAgent is the User-Agent of the request ctx belongs to, cut to 256
// bytes on a character boundary and without control characters, or ""
// outside a request.
func UserAgent(ctx context.Context) string {
	i := FromContext(ctx)
	if i == nil || i.req == nil {
		return ""
	}
	ua := i.req.UserAgent()
	if len(ua) > maxUserAgent {
		ua = strings.ToValidUTF8(ua[:maxUserAgent], "")
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, ua)
}

// SetClient records the client a request names (authenticated or only
// claimed: an operator chasing a client's failures wants both), for the
// access line and the error line. A no-op outside a request.
func SetClient(ctx context.Context, clientID string) {
	if i := FromContext(ctx); i != nil {
		i.ClientID = clientID
	}
}

// Handler adds request_id to every record logged with a request's
// context. Wrap the root handler (NewHandler) so that loggers derived with
// With keep the behaviour.
type Handler struct {
	inner slog.Handler
}

// NewHandler wraps h; wrapping a Handler again returns it unchanged.
func NewHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(*Handler); ok {
		return h
	}
	return &Handler{inner: h}
}

// Enabled is the wrapped handler's.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

// Handle adds the request id, when ctx carries one, and passes r on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if i := FromContext(ctx); i != nil && i.ID != "" {
		r.AddAttrs(slog.String(AttrRequestID, i.ID))
	}
	return h.inner.Handle(ctx, r)
}

// WithAttrs keeps the wrapper.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{inner: h.inner.WithAttrs(as)}
}

// WithGroup keeps the wrapper. The request id of a grouped logger's
// records lands inside the group.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name)}
}
