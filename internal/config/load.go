package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the YAML file at path, then calls Finish: the result has
// defaults applied, is validated, and holds no plain secrets. Relative file
// paths in it (storage, system_secret_file, tls, and their defaults) are
// made absolute against the file's own folder, so every command finds the
// same files wherever it runs.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if holdsNoSettings(data) {
		return nil, &Error{File: path, Problems: []Problem{{Field: "file", Reason: "holds no settings (it is empty, or only comments); " +
			"a server needs at least its clients: start from examples/laptop.yaml or examples/tollgate.yaml"}}}
	}
	c, err := Parse(data)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			ce.File = path
		}
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.resolvePaths(filepath.Dir(abs))
	return c, nil
}

// resolvePaths makes every relative file path absolute against dir.
func (c *Config) resolvePaths(dir string) {
	in := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	if rest, ok := strings.CutPrefix(c.Storage, "sqlite:"); ok {
		c.Storage = "sqlite:" + in(rest)
	}
	c.SystemSecretFile = in(c.SystemSecretFile)
	c.StorageOptions.PasswordFile = in(c.StorageOptions.PasswordFile)
	c.TLS.CertFile = in(c.TLS.CertFile)
	c.TLS.KeyFile = in(c.TLS.KeyFile)
	c.Admin.TokenFile = in(c.Admin.TokenFile)
}

// Parse is Load without the file: it decodes data strictly and calls Finish.
func Parse(data []byte) (*Config, error) {
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	// Unknown keys are errors: a misspelt key must not silently fall back to
	// a default (a typo in allow_offline_access would change who gets
	// refresh tokens).
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &Error{Problems: []Problem{{Field: "file", Reason: "holds more than one YAML document; put everything in one"}}}
	}
	c.storageKeys = storageKeysOf(data)
	for i, keys := range clientKeysOf(data) {
		if i < len(c.Clients) {
			c.Clients[i].given = keys
		}
	}
	if err := c.Finish(); err != nil {
		return nil, err
	}
	return c, nil
}

// storageKeysOf lists the keys given under storage_options in data (which
// decoded already), so that Finish can tell "max_conns: 0" from a key left
// out, and a storage_options block on sqlite from none. It returns nil when
// the file has no storage_options.
func storageKeysOf(data []byte) map[string]bool {
	var top map[string]yaml.Node
	if yaml.Unmarshal(data, &top) != nil {
		return nil
	}
	n, ok := top["storage_options"]
	if !ok {
		return nil
	}
	keys := map[string]bool{}
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		keys[n.Content[i].Value] = true
	}
	return keys
}

var (
	unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type config\.(\w+)$`)
	lineMsg      = regexp.MustCompile(`^(line \d+): (.*)$`)
)

// sections names where in the file each Go type is found, for messages.
var sections = map[string]string{
	"Config":            "at the top level",
	"Tokens":            "in tokens",
	"RefreshToken":      "in tokens.refresh_token",
	"Client":            "in a client",
	"TokensPatch":       "in a client's tokens",
	"RefreshTokenPatch": "in a client's tokens.refresh_token",
	"User":              "in a user",
	"HTTP":              "in http",
	"TLS":               "in tls",
	"StorageOptions":    "in storage_options",
}

// yamlError turns a decoding error into an *Error with one problem per
// yaml.v3 message, rephrased so it talks about keys, not Go types.
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return &Error{Problems: []Problem{{Field: "file", Reason: strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	e := &Error{}
	for _, msg := range te.Errors {
		if m := unknownField.FindStringSubmatch(msg); m != nil {
			where := sections[m[3]]
			if where == "" {
				where = "in " + m[3]
			}
			e.Problems = append(e.Problems, Problem{
				Field:  "line " + m[1],
				Reason: fmt.Sprintf("unknown key %q %s (check the spelling against examples/tollgate.yaml)", m[2], where),
			})
			continue
		}
		p := Problem{Field: "file", Reason: msg}
		if m := lineMsg.FindStringSubmatch(msg); m != nil {
			p = Problem{Field: m[1], Reason: m[2]}
		}
		if strings.Contains(msg, "into time.Duration") {
			p.Reason += `: durations are Go duration text such as "30s", "5m" or "360h"`
		}
		e.Problems = append(e.Problems, p)
	}
	return e
}

// holdsNoSettings reports whether data is a YAML file without a single
// setting: empty, whitespace, comments, a bare null or {}. Load refuses
// it: such a file is a mistake (the wrong path, a truncated copy), and
// taken as "every default" it would start a server without clients.
// Parse still reads nothing as the defaults. A file that does not parse
// is left to Parse, which names the line.
func holdsNoSettings(data []byte) bool {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return false
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return true
	}
	root := doc.Content[0]
	return (root.Kind == yaml.ScalarNode && root.Tag == "!!null") || (root.Kind == yaml.MappingNode && len(root.Content) == 0)
}
