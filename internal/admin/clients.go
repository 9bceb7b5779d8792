package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Clients: the file's, read-only, and the store's, which these routes
// create and change. Every answer leaves out the secret and its hash; a
// secret the server generates is returned once, in the answer that made it.

// ClientDirectory is the node's client lookup (internal/directory), told
// to reload after a change so the change is in force on this node at once.
type ClientDirectory interface {
	Reload(ctx context.Context) error
}

// Sources of a client in a listing.
const (
	SourceConfig = "config"
	SourceStore  = "store"
)

func (a *API) clientRoutes() []route {
	p := PathAPI + "/clients"
	return []route{
		{"GET " + p, a.listClients},
		{"POST " + p, a.createClient},
		{"GET " + p + "/{id}", a.showClient},
		{"PUT " + p + "/{id}", a.updateClient},
		{"POST " + p + "/{id}/disable", a.disableClient},
		{"POST " + p + "/{id}/enable", a.enableClient},
		{"POST " + p + "/{id}/secret", a.rotateClientSecret},
		{"PUT " + p + "/{id}/jwks", a.replaceClientKeys},
	}
}

// ClientView is one client as the API shows it.
type ClientView struct {
	ID        string          `json:"id"`
	Source    string          `json:"source"` // config or store
	Disabled  bool            `json:"disabled"`
	Version   int64           `json:"version,omitempty"` // store clients: name it in a PUT
	CreatedAt string          `json:"created_at,omitempty"`
	UpdatedAt string          `json:"updated_at,omitempty"`
	Settings  json.RawMessage `json:"settings"`
}

// ClientChange is the answer to a change: the client, and the secret when
// the server generated one (the only time it is shown), or how many grants
// a disable revoked.
type ClientChange struct {
	ClientView
	ClientSecret  string `json:"client_secret,omitempty"`
	GrantsRevoked *int   `json:"grants_revoked,omitempty"`
}

func fileView(cl *config.Client) (ClientView, error) {
	doc, err := config.ClientDocument(cl)
	return ClientView{ID: cl.ID, Source: SourceConfig, Settings: doc}, err
}

func storeView(r store.ClientRecord) ClientView {
	return ClientView{ID: r.ID, Source: SourceStore, Disabled: r.Disabled, Version: r.Version,
		CreatedAt: rfc3339(r.CreatedAt), UpdatedAt: rfc3339(r.UpdatedAt), Settings: r.Settings}
}

func (a *API) listClients(r *http.Request) (any, error) {
	pg, err := PageOf(r)
	if err != nil {
		return nil, err
	}
	// The file's and the store's, merged in id order; the cursor is the
	// last id shown. The two never share an id (a store client with a
	// file client's id is refused).
	var files []*config.Client
	for i := range a.Config.Clients {
		if cl := &a.Config.Clients[i]; cl.ID > pg.After {
			files = append(files, cl)
		}
	}
	slices.SortFunc(files, func(x, y *config.Client) int { return strings.Compare(x.ID, y.ID) })
	stored, err := a.Store.ListClients(r.Context(), pg.After, pg.Limit)
	if err != nil {
		return nil, err
	}
	items := make([]ClientView, 0, pg.Limit)
	for len(items) < pg.Limit && (len(files) > 0 || len(stored) > 0) {
		if len(stored) == 0 || (len(files) > 0 && files[0].ID < stored[0].ID) {
			v, err := fileView(files[0])
			if err != nil {
				return nil, err
			}
			items, files = append(items, v), files[1:]
			continue
		}
		items, stored = append(items, storeView(stored[0])), stored[1:]
	}
	out := struct {
		Items []ClientView `json:"items"`
		Next  string       `json:"next"`
	}{Items: items}
	if len(items) == pg.Limit {
		out.Next = items[len(items)-1].ID
	}
	return out, nil
}

func (a *API) showClient(r *http.Request) (any, error) {
	id := r.PathValue("id")
	if cl, ok := a.Config.Client(id); ok {
		return fileView(cl)
	}
	rec, err := a.storedClient(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return storeView(rec), nil
}

func (a *API) storedClient(ctx context.Context, id string) (store.ClientRecord, error) {
	rec, err := a.Store.StoredClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return rec, NotFound("no client %q", id)
	}
	return rec, err
}

// readOnly refuses a change to a client of the configuration file.
func (a *API) readOnly(id string) error {
	if _, ok := a.Config.Client(id); ok {
		return Conflict("client %q is defined in the configuration file, which is read-only here: change it there", id)
	}
	return nil
}

// finish parses settings and holds them to the file's rules (config
// FinishClient), with the secret hash carried over from keep when the
// settings give none. When the client authenticates with a secret and has
// none, one is generated and returned (the only time it exists in clear).
func (a *API) finish(settings []byte, id, keep string) (cl *config.Client, doc []byte, generated string, err error) {
	cl, doc, err = config.ParseClient(settings)
	if err != nil {
		return nil, nil, "", configProblem(err)
	}
	if id != "" {
		if cl.ID != "" && cl.ID != id {
			return nil, nil, "", BadRequest("settings.id %q is not the client %q of the path", cl.ID, id)
		}
		cl.ID = id
	}
	if err := a.readOnly(cl.ID); err != nil {
		return nil, nil, "", err
	}
	needs := a.Config.NeedsSecret(cl)
	switch {
	case !needs || cl.Secret != "" || cl.SecretHash != "":
	case keep != "":
		cl.SecretHash = keep
	default:
		generated = secret.Generate()
		cl.Secret = generated
	}
	if err := a.Config.FinishClient(cl); err != nil {
		return nil, nil, "", configProblem(err)
	}
	// The document stored names the client, whichever way it came.
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, nil, "", err
	}
	m["id"] = cl.ID
	doc, err = json.Marshal(m)
	return cl, doc, generated, err
}

// configProblem is a config.Error as invalid_request, naming each field.
func configProblem(err error) error {
	var ce *config.Error
	if !errors.As(err, &ce) {
		return err
	}
	msgs := make([]string, len(ce.Problems))
	for i, p := range ce.Problems {
		msgs[i] = p.String()
	}
	return BadRequest("%s", strings.Join(msgs, "; "))
}

func (a *API) createClient(r *http.Request) (any, error) {
	var raw json.RawMessage
	if err := DecodeJSON(r, &raw); err != nil {
		return nil, err
	}
	cl, doc, generated, err := a.finish(raw, "", "")
	if err != nil {
		return nil, err
	}
	// RFC 9068 §5: the client's own tokens will carry its id as sub, so it
	// may not be a user's subject (FinishClient checks the file's users).
	switch _, err := a.Store.UserBySubject(r.Context(), cl.ID); {
	case err == nil:
		return nil, Conflict("client id %q is the subject of a user: the client's own access tokens would pass for that user's (RFC 9068 §5)", cl.ID)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	now := a.Now()
	rec := store.ClientRecord{ID: cl.ID, Settings: doc, SecretHash: cl.SecretHash, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := a.Store.CreateClient(r.Context(), rec, a.clientEvent(r, store.ClientCreated, cl.ID)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, Conflict("a client %q exists already", cl.ID)
		}
		return nil, err
	}
	a.reloadClients(r.Context())
	return Created{ClientChange{ClientView: storeView(rec), ClientSecret: generated}}, nil
}

func (a *API) updateClient(r *http.Request) (any, error) {
	id := r.PathValue("id")
	var body struct {
		Version  int64           `json:"version"`
		Settings json.RawMessage `json:"settings"`
	}
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	if err := a.readOnly(id); err != nil {
		return nil, err
	}
	if body.Version < 1 || body.Settings == nil {
		return nil, BadRequest("the body is {\"version\": the version read, \"settings\": {the whole settings}}")
	}
	rec, err := a.storedClient(r.Context(), id)
	if err != nil {
		return nil, err
	}
	cl, doc, generated, err := a.finish(body.Settings, id, rec.SecretHash)
	if err != nil {
		return nil, err
	}
	rec.Settings, rec.SecretHash, rec.Version = doc, cl.SecretHash, body.Version
	return a.write(r, rec, store.ClientUpdated, generated)
}

// write stores rec (its Version the one read) and answers with the
// client as it is now.
func (a *API) write(r *http.Request, rec store.ClientRecord, reason, generated string) (ClientChange, error) {
	rec.UpdatedAt = a.Now()
	if err := a.Store.UpdateClient(r.Context(), rec, a.clientEvent(r, reason, rec.ID)); err != nil {
		switch {
		case errors.Is(err, store.ErrConflict):
			return ClientChange{}, Conflict("client %q changed since version %d was read; read it again and redo the change", rec.ID, rec.Version)
		case errors.Is(err, store.ErrNotFound):
			return ClientChange{}, NotFound("no client %q", rec.ID)
		}
		return ClientChange{}, err
	}
	rec.Version++
	a.reloadClients(r.Context())
	return ClientChange{ClientView: storeView(rec), ClientSecret: generated}, nil
}

// change reads a store client, applies fn and writes it back on the
// version read, trying again (a few times) when another write got in
// between: the changes below depend on no setting fn did not read.
func (a *API) change(r *http.Request, reason string, fn func(rec *store.ClientRecord) (generated string, err error)) (ClientChange, error) {
	id := r.PathValue("id")
	if err := a.readOnly(id); err != nil {
		return ClientChange{}, err
	}
	for attempt := 1; ; attempt++ {
		rec, err := a.storedClient(r.Context(), id)
		if err != nil {
			return ClientChange{}, err
		}
		generated, err := fn(&rec)
		if err != nil {
			return ClientChange{}, err
		}
		out, err := a.write(r, rec, reason, generated)
		var e *oautherr.Error
		if err == nil || attempt == 3 || !errors.As(err, &e) || e.Code != CodeConflict {
			return out, err
		}
	}
}

func (a *API) clientEvent(r *http.Request, reason, clientID string) store.Event {
	ev := audit.Event(r.Context(), a.Now(), a.Node, store.EventClientChanged)
	ev.Reason, ev.ClientID = reason, clientID
	return ev
}

// reloadClients puts a change in force on this node at once; the other
// nodes see it within the directory's bound.
func (a *API) reloadClients(ctx context.Context) {
	if a.Clients == nil {
		return
	}
	if err := a.Clients.Reload(ctx); err != nil {
		a.Log.Warn("admin: client change stored, but this node's client snapshot could not be reloaded", "err", err)
	}
}
