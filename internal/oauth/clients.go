package oauth

import "github.com/tollgate-oidc/tollgate/internal/config"

// Clients is how the endpoints find a client at request time: the
// configuration file's and those registered at run time in the store
// (internal/directory.Clients).
type Clients interface {
	// Client returns an enabled client by id.
	Client(id string) (*config.Client, bool)
	// Stored returns the store's enabled clients (the file's are
	// Config.Clients), for the few places that walk every client.
	Stored() []*config.Client
	// AllowsOrigin reports whether origin is the origin of a redirect URI
	// of a store client (the file's are counted once, at start: cors.go).
	AllowsOrigin(origin string) bool
}

// fileClients is Clients over the configuration file alone.
type fileClients struct{ cfg *config.Config }

func (f fileClients) Client(id string) (*config.Client, bool) { return f.cfg.Client(id) }
func (fileClients) Stored() []*config.Client                  { return nil }
func (fileClients) AllowsOrigin(string) bool                  { return false }

// everyClient is every enabled client, the file's first.
func (s *Server) everyClient() []*config.Client {
	stored := s.Clients.Stored()
	out := make([]*config.Client, 0, len(s.Config.Clients)+len(stored))
	for i := range s.Config.Clients {
		out = append(out, &s.Config.Clients[i])
	}
	return append(out, stored...)
}
