package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// PathAPI prefixes every route of the admin API.
const PathAPI = "/api/v1"

// API is the admin API: JSON over HTTP on the admin listener, behind the
// Server's authorization. Each area (grants, keys, clients, users, audit)
// adds its routes in its own file through routes below, so that the
// OpenAPI document (openapi.yaml) can be checked against one list.
type API struct {
	Store   store.Store
	Config  *config.Config
	Now     func() time.Time
	Node    string // this node's name, recorded in the audit trail
	Log     *slog.Logger
	Clients ClientDirectory // clients.go: reloaded after a change; nil: none
	// Refresh revokes grants (counted by source, audited); Keys lists and
	// rotates the signing keys.
	Refresh *refresh.Service
	Keys    *keys.Set
}

// route is one operation of the API: a ServeMux pattern ("GET
// /api/v1/grants") and what answers it.
type route struct {
	pattern string
	handle  func(r *http.Request) (any, error)
}

// routes lists every operation of the API, with the document that
// describes them. One line per area.
func (a *API) routes() []route {
	rs := []route{{"GET " + PathAPI + "/openapi.yaml", nil}}
	rs = append(rs, a.userRoutes()...)
	rs = append(rs, a.clientRoutes()...)
	rs = append(rs, a.grantRoutes()...)
	rs = append(rs, a.keyRoutes()...)
	rs = append(rs, a.auditRoutes()...)
	return rs
}

// Register adds every route of the API to s.
func (a *API) Register(s *Server) {
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	if a.Now == nil {
		a.Now = time.Now
	}
	for _, rt := range a.routes() {
		if rt.handle == nil {
			s.Handle(rt.pattern, http.HandlerFunc(serveOpenAPI))
			continue
		}
		s.Handle(rt.pattern, a.answer(rt.handle))
	}
}

// Patterns returns the ServeMux pattern of every route, for the test that
// holds the OpenAPI document to them.
func (a *API) Patterns() []string {
	var ps []string
	for _, rt := range a.routes() {
		ps = append(ps, rt.pattern)
	}
	return ps
}

// answer runs h and writes what it returns as JSON (200, or 201 for a
// POST that returns Created), or its error as the one error type every
// endpoint uses: {"error", "error_description"} with the code's status.
func (a *API) answer(h func(r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := h(r)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		status := http.StatusOK
		if c, ok := v.(Created); ok {
			status, v = http.StatusCreated, c.Value
		}
		writeJSON(w, status, v)
	})
}

// Created wraps what a POST made, to be answered 201.
type Created struct{ Value any }

// The admin API's own error codes, beside RFC 6749's invalid_request.
const (
	CodeNotFound = "not_found" // 404: no such grant, client, user or key
	CodeConflict = "conflict"  // 409: it exists already, or is read-only
)

// NotFound is a 404 naming what was missing.
func NotFound(format string, args ...any) *oautherr.Error {
	return &oautherr.Error{Code: CodeNotFound, Description: fmt.Sprintf(format, args...), Status: http.StatusNotFound}
}

// Conflict is a 409 saying why the change cannot be made.
func Conflict(format string, args ...any) *oautherr.Error {
	return &oautherr.Error{Code: CodeConflict, Description: fmt.Sprintf(format, args...), Status: http.StatusConflict}
}

// BadRequest is invalid_request (400) with a description the operator can act on.
func BadRequest(format string, args ...any) *oautherr.Error {
	return oautherr.New(oautherr.InvalidRequest, format, args...)
}

func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *oautherr.Error
	switch {
	case errors.As(err, &e):
	case store.Unavailable(err):
		e = &oautherr.Error{Code: oautherr.TemporarilyUnavailable, Description: "the store is unreachable; try again shortly",
			Status: http.StatusServiceUnavailable, RetryAfter: 2, Cause: err}
	default:
		e = oautherr.Server(err)
	}
	level := slog.LevelInfo
	if e.Status >= 500 {
		level = slog.LevelError
	}
	a.Log.LogAttrs(r.Context(), level, "admin: error answer", slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.String("error", e.Code), slog.String("error_description", e.Description),
		slog.Any("reason", e.Cause))
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, e.Status, struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{e.Code, e.Description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// maxBody caps a request body of the admin API.
const maxBody = 64 << 10

// DecodeJSON reads r's JSON body into v: application/json, at most 64 KiB,
// one value, no field v does not know (a misspelt field is an error, not a
// silently ignored change).
func DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return BadRequest("the body must be application/json, not %q", ct)
		}
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return BadRequest("the request needs a JSON body")
		}
		return BadRequest("the JSON body is not valid: %v", err)
	}
	if dec.More() {
		return BadRequest("the body must hold one JSON value")
	}
	return nil
}

// Page is the paging of a listing: ?limit= (1 to 1000, default 100) and
// ?after= (the cursor a previous page returned as next).
type Page struct {
	Limit int
	After string
}

// PageOf reads the paging parameters of r.
func PageOf(r *http.Request) (Page, error) {
	p := Page{Limit: 100, After: r.URL.Query().Get("after")}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return p, BadRequest("limit must be a whole number from 1 to 1000, not %q", s)
		}
		p.Limit = n
	}
	return p, nil
}
