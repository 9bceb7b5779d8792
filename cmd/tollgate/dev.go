package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// devCredentials are the demo client's secret and the demo user's password,
// made once per checkout and kept in .tollgate/dev-credentials.json (0600) so
// a restarted dev server accepts the same curl session. They are for a
// developer's own machine only; --config never reads them.
type devCredentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Username     string `json:"username"`
	Password     string `json:"password"`
}

const devListen = "127.0.0.1:8080"

func devConfig(dir, listen string) (*config.Config, *devCredentials, error) {
	if listen == "" {
		listen = devListen
	}
	creds, err := loadDevCredentials(filepath.Join(dir, "dev-credentials.json"))
	if err != nil {
		return nil, nil, err
	}
	cfg := &config.Config{
		Issuer:           "http://" + listen,
		Listen:           listen,
		Storage:          "sqlite:" + filepath.Join(dir, "tollgate.db"),
		SystemSecretFile: filepath.Join(dir, "system.key"),
		LogLevel:         "info",
		Clients: []config.Client{{
			ID:                     creds.ClientID,
			Name:                   "Demo confidential client",
			Type:                   config.ClientConfidential,
			AuthMethod:             config.AuthSecretBasic,
			Secret:                 creds.ClientSecret,
			RedirectURIs:           []string{"http://127.0.0.1:9999/callback"},
			GrantTypes:             []string{"authorization_code", "password", "refresh_token", "client_credentials"},
			ResponseTypes:          []string{"code", "code id_token"},
			PostLogoutRedirectURIs: []string{"http://127.0.0.1:9999/signed-out"},
			Scopes:                 []string{"openid", "profile", "email", "offline_access", "demo.api"},
			AllowOfflineAccess:     true,
		}},
		Users: []config.User{{
			Username: creds.Username,
			Password: creds.Password,
			Subject:  "8d4f0a6e-2f63-4f7b-9c1d-5e0b7a3c9d21",
			Claims: map[string]any{
				"name": "Alice Nordmann", "given_name": "Alice", "family_name": "Nordmann",
				"email": "alice@example.no", "email_verified": true,
			},
		}},
	}
	if err := cfg.Finish(); err != nil {
		return nil, nil, err
	}
	return cfg, creds, nil
}

func loadDevCredentials(path string) (*devCredentials, error) {
	var c devCredentials
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("%s is damaged (%v); delete it to get new demo credentials", path, err)
		}
		return &c, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	c = devCredentials{ClientID: "demo-client", ClientSecret: secret.Generate(), Username: "alice", Password: secret.Generate()[:20]}
	b, _ = json.MarshalIndent(c, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	return &c, nil
}

// banner is the copy-pasteable session printed at dev start-up: password
// grant with offline_access, refresh, revoke, refresh refused.
func (c *devCredentials) banner(issuer string) string {
	tok := issuer + "/connect/token"
	extract := `sed -E 's/.*"refresh_token":"([^"]+)".*/\1/'`
	return fmt.Sprintf(`
Tollgate dev server (SQLite under ./.tollgate; not for production)

  demo client  %[1]s / %[2]s   (confidential, client_secret_basic, allow_offline_access)
  demo user    %[3]s / %[4]s

Try it:

  # 1. sign in with the password grant, asking for offline_access
  RT=$(curl -s -u %[1]s:%[2]s -d grant_type=password -d username=%[3]s -d password=%[4]s \
        -d 'scope=openid profile offline_access' %[5]s | tee /dev/stderr | %[6]s)

  # 2. refresh: new access and ID tokens, and a new refresh token (one-time rotation)
  RT=$(curl -s -u %[1]s:%[2]s -d grant_type=refresh_token -d refresh_token=$RT %[5]s | tee /dev/stderr | %[6]s)

  # 3. revoke the refresh token (and its whole grant)
  curl -si -u %[1]s:%[2]s -d token=$RT %[7]s/connect/revocation | head -1

  # 4. refresh again: refused with invalid_grant
  curl -s -u %[1]s:%[2]s -d grant_type=refresh_token -d refresh_token=$RT %[5]s; echo

Or sign in through the browser (nothing listens on 127.0.0.1:9999; copy the
code from the address bar it lands on):

  %[7]s/connect/authorize?client_id=%[1]s&response_type=code&scope=openid+profile+offline_access&state=demo&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A9999%%2Fcallback

  curl -s -u %[1]s:%[2]s -d grant_type=authorization_code -d code=CODE \
       -d redirect_uri=http://127.0.0.1:9999/callback %[5]s; echo

Discovery: %[7]s/.well-known/openid-configuration
Your account page (as %[3]s: the applications holding offline access, and
"Remove access"): %[7]s/account

`, c.ClientID, c.ClientSecret, c.Username, c.Password, tok, extract, issuer)
}
