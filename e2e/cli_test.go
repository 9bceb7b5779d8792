package e2e

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// verbFlags is every verb and exactly the flags its -h must list.
var verbFlags = map[string][]string{
	"serve":         {"config", "dev", "listen"},
	"revoke":        {"client", "config", "dev", "grant", "subject"},
	"migrate":       {"config", "dev", "status"},
	"janitor":       {"config", "dev"},
	"check":         {"config"},
	"secret":        nil,
	"hash-password": nil,
	"version":       nil,
	"keys":          nil, // its subcommands' flags: TestCLIKeysSubcommands
	"audit":         {"admin-token-file", "admin-url", "after", "client", "config", "grant", "json", "kind", "limit", "since", "subject", "until"},
}

var flagLine = regexp.MustCompile(`(?m)^  -([a-z-]+)`)

// TestCLIHelpAndVersion: -h on every verb exits 0 and lists that verb's
// flags and no other; tollgate -h lists every verb; version and --version
// name the Go toolchain that built the binary.
func TestCLIHelpAndVersion(t *testing.T) {
	top := runTollgate(t, "", "-h")
	if top.code != 0 {
		t.Fatalf("tollgate -h: exit %d", top.code)
	}
	for verb, want := range verbFlags {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(verb) + ` `).MatchString(top.stdout) {
			t.Errorf("tollgate -h does not list %s:\n%s", verb, top.stdout)
		}
		r := runTollgate(t, "", verb, "-h")
		if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "usage: tollgate "+verb) {
			t.Errorf("tollgate %s -h: exit %d, stdout %q, stderr %q", verb, r.code, r.stdout, r.stderr)
		}
		var got []string
		for _, m := range flagLine.FindAllStringSubmatch(r.stdout, -1) {
			got = append(got, m[1])
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("tollgate %s -h lists flags %v, want %v", verb, got, want)
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runTollgate(t, "", args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "tollgate ") || !strings.HasSuffix(strings.TrimSpace(r.stdout), " "+runtime.Version()) {
			t.Errorf("tollgate %v: exit %d, %q, want \"tollgate VERSION … %s\"", args, r.code, r.stdout, runtime.Version())
		}
	}
}

// TestCLIUsageMistakesExit2: an unknown verb, an unknown flag, a flag
// without its value, a stray argument or a missing required choice exits
// 2 with one line on standard error that points at -h, and nothing on
// standard output.
func TestCLIUsageMistakesExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage: tollgate <command>"},
		{[]string{"serv"}, `unknown command "serv" (run 'tollgate -h'`},
		{[]string{"serve", "--conifg", "x.yaml"}, "-conifg (run 'tollgate serve -h' for its flags)"},
		{[]string{"check", "--config"}, "flag needs an argument: -config"},
		{[]string{"check", "tollgate.yaml"}, `unexpected argument "tollgate.yaml"`},
		{[]string{"check"}, "say which file to check"},
		{[]string{"check", "--dev"}, "-dev (run 'tollgate check -h'"},
		{[]string{"serve"}, "say which configuration to use"},
		{[]string{"serve", "--dev", "--config", "x.yaml"}, "either --dev or --config"},
		{[]string{"revoke", "--config", "x.yaml"}, "say what to revoke"},
		{[]string{"secret", "extra"}, `unexpected argument "extra"`},
		{[]string{"version", "--short"}, "-short"},
		{[]string{"keys"}, "say list or rotate (run 'tollgate keys -h'"},
		{[]string{"keys", "purge"}, `unknown keys command "purge"`},
		{[]string{"keys", "list"}, "say where the admin API is: --admin-url"},
		{[]string{"grants"}, "say list, show or revoke (run 'tollgate grants -h'"},
		{[]string{"grants", "show"}, "say which grant"},
		{[]string{"grants", "revoke", "--config", "x.yaml"}, "say what to revoke"},
		{[]string{"grants", "revoke", "g1", "--client", "app"}, "cannot be combined"},
		{[]string{"grants", "list", "--limit", "0"}, "--limit 0"},
		{[]string{"grants", "list", "--config", "x.yaml", "--admin-url", "http://127.0.0.1:1"}, "not both"},
		{[]string{"keys", "rotate", "--alg", "HS256", "--config", "x.yaml"}, `--alg "HS256"`},
		{[]string{"keys", "list", "--jsn"}, "-jsn (run 'tollgate keys list -h' for its flags)"},
		{[]string{"audit", "--config", "x.yaml", "--since", "last week"}, `--since: "last week" is neither a duration`},
		{[]string{"audit", "--config", "x.yaml", "--kind", "login"}, `--kind "login" is not one of`},
	} {
		r := runTollgate(t, "", tc.args...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("tollgate %v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
		if tc.args != nil && strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("tollgate %v: want one line, got %q", tc.args, r.stderr)
		}
	}
}

// TestCLIKeysSubcommands: each keys subcommand's -h exits 0 and lists its
// own flags and no other, as every verb's does.
func TestCLIKeysSubcommands(t *testing.T) {
	for sub, want := range map[string][]string{"list": {"admin-token-file", "admin-url", "config", "json"}, "rotate": {"admin-token-file", "admin-url", "alg", "config"}} {
		r := runTollgate(t, "", "keys", sub, "-h")
		var got []string
		for _, m := range flagLine.FindAllStringSubmatch(r.stdout, -1) {
			got = append(got, m[1])
		}
		slices.Sort(got)
		if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "usage: tollgate keys "+sub) || !slices.Equal(got, want) {
			t.Errorf("tollgate keys %s -h: exit %d, flags %v, stdout %q, stderr %q; want 0 and %v", sub, r.code, got, r.stdout, r.stderr, want)
		}
	}
}

// TestCLIConfigErrorsAsAUserSeesThem: a configuration mistake ends check
// and serve alike with exit 1 and a message on standard error that names
// the file and the field; serve does not start.
func TestCLIConfigErrorsAsAUserSeesThem(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	db := "storage: sqlite:" + filepath.Join(dir, "db") + "\nsystem_secret_file: " + filepath.Join(dir, "key") + "\n"
	for _, tc := range []struct {
		path string
		want []string
	}{
		{write("empty.yaml", ""), []string{"empty.yaml: invalid configuration: file: holds no settings"}},
		{write("comments.yaml", "# to do\n"), []string{"file: holds no settings"}},
		{write("level.yaml", db+"log_level: loud\n"), []string{"level.yaml: invalid configuration", "log_level"}},
		{write("typo.yaml", db+"listne: 127.0.0.1:1\n"), []string{"typo.yaml", "listne"}},
		{write("short.yaml", db+"listen: 127.0.0.1:1\nclients:\n  - id: web\n    secret: short\n    redirect_uris: [https://app.example/cb]\n    scopes: [openid]\n"),
			[]string{"short.yaml", `clients[0] "web".secret`}},
		{filepath.Join(dir, "missing.yaml"), []string{"missing.yaml", "no such file"}},
	} {
		for _, verb := range []string{"check", "serve"} {
			r := runTollgate(t, "", verb, "--config", tc.path)
			if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, "tollgate "+verb+": ") {
				t.Errorf("tollgate %s --config %s: exit %d, stdout %q, stderr %q; want exit 1 and the error on stderr",
					verb, filepath.Base(tc.path), r.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("tollgate %s --config %s: stderr %q lacks %q", verb, filepath.Base(tc.path), r.stderr, w)
				}
			}
		}
	}
}

// TestCLIHashPasswordFromAPipe: a script pipes one line in and gets the
// argon2id hash of exactly that line, and nothing else; the password
// appears on no output.
func TestCLIHashPasswordFromAPipe(t *testing.T) {
	const pw = "correct horse battery staple"
	r := runTollgate(t, pw+"\nsecond line ignored\n", "hash-password")
	h := strings.TrimSpace(r.stdout)
	if r.code != 0 || !strings.HasPrefix(h, "$argon2id$") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("hash-password: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if ok, err := secret.VerifyPassword(h, pw); !ok || err != nil {
		t.Fatalf("the printed hash does not verify the piped password: %v", err)
	}
	if strings.Contains(r.stdout+r.stderr, pw) {
		t.Fatal("hash-password echoed the password")
	}
	if r := runTollgate(t, "\n", "hash-password"); r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "empty") {
		t.Fatalf("an empty line: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestCLIHashPasswordOnATerminal runs hash-password on a pseudo-terminal
// (util-linux script(1) makes one): it prompts twice, echoes neither
// answer, and hashes only when they match.
func TestCLIHashPasswordOnATerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) is not installed: no pseudo-terminal to run hash-password on")
	}
	bin := tollgateBinary(t)
	run := func(first, second string) (string, int) {
		cmd := exec.Command("script", "-q", "-e", "-c", bin+" hash-password", "/dev/null")
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		outPipe, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		out := &syncBuffer{}
		copied := make(chan struct{})
		go func() { _, _ = io.Copy(out, bufio.NewReader(outPipe)); close(copied) }()
		// Type each answer only once its prompt is shown: echo is off by
		// then, as for a person at the keyboard.
		for i, answer := range []string{first, second} {
			prompt := []string{"Password: ", "Repeat the password: "}[i]
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(out.String(), prompt) {
				if time.Now().After(deadline) {
					t.Fatalf("no prompt %q; the terminal shows %q", prompt, out.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if _, err := io.WriteString(in, answer+"\r"); err != nil {
				t.Fatal(err)
			}
		}
		<-copied
		err = cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), code
	}

	const pw = "typed-at-a-terminal-7"
	screen, code := run(pw, pw)
	if code != 0 || strings.Contains(screen, pw) {
		t.Fatalf("exit %d; the terminal showed %q (the password must not be echoed)", code, screen)
	}
	h := regexp.MustCompile(`\$argon2id\$\S+`).FindString(screen)
	if ok, err := secret.VerifyPassword(h, pw); !ok || err != nil {
		t.Fatalf("no hash of the typed password on the terminal %q: %v", screen, err)
	}

	screen, code = run(pw, pw+"x")
	if code != 1 || strings.Contains(screen, "$argon2id$") || !strings.Contains(screen, "differ") {
		t.Fatalf("two different answers: exit %d, terminal %q", code, screen)
	}
}
