package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// throttled is the test configuration of the failure throttle: 3 free
// failures per username, then 30s, 60s, ...
func throttled(c *config.Config) {
	c.Throttle.Failures = config.Failures{PerUsername: 3, PerIP: 1000, Window: time.Hour, Backoff: 30 * time.Second, MaxBackoff: 10 * time.Minute}
}

// loginFrom starts a sign-in from addr (a fresh browser there) and posts
// username and password on the login page; it returns that POST's answer.
func (e *env) loginFrom(addr, user, pw string) page {
	e.t.Helper()
	c := fromAddr(addr)
	c.Jar, _ = cookiejar.New(nil)
	b := &browser{e: e, c: c}
	_, challenge := pkce()
	pg := b.do("GET", e.authURL(codeRequest(challenge, map[string]string{"ui_locales": "en"})), nil)
	if pg.Status != http.StatusSeeOther {
		e.t.Fatalf("authorize from %s: %d %s", addr, pg.Status, pg.Body)
	}
	login := b.do("GET", pg.Location, nil)
	form := login.hidden()
	form.Set("username", user)
	form.Set("password", pw)
	return b.do("POST", "/account/login", form)
}

// passwordFrom is a password grant of client app from addr.
func (e *env) passwordFrom(addr, user, pw string) response {
	e.t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}, "scope": {"openid"}}
	req, _ := http.NewRequest("POST", e.tokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("app", secretApp)
	res, err := fromAddr(addr).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

const (
	textFailed    = "The username or password is incorrect."
	textThrottled = "Too many sign-in attempts right now. Wait a little, then try again."
)

// TestFailedSignInsThrottlePerUsernameFromManyAddresses is flaw 2 of issue
// 10: password checks were unthrottled. Failed sign-ins for one username,
// each from another address, on the login page and the password grant
// alike, are refused after the free ones, whatever the address.
func TestFailedSignInsThrottlePerUsernameFromManyAddresses(t *testing.T) {
	e := startWith(t, throttled)
	// Three free failures and the fourth, each from its own address,
	// through both doors.
	for i, door := range []string{"page", "grant", "page", "grant"} {
		addr := fmt.Sprintf("127.0.3.%d", i+1)
		if door == "page" {
			pg := e.loginFrom(addr, "alice", "guess")
			if pg.Status != http.StatusOK || !strings.Contains(pg.Body, textFailed) {
				t.Fatalf("failure %d on the login page: %d", i+1, pg.Status)
			}
		} else {
			wantError(t, e.passwordFrom(addr, "alice", "guess"), http.StatusBadRequest, "invalid_grant")
		}
	}
	// Refused now, from any address, even with the right password.
	pg := e.loginFrom("127.0.3.10", "alice", alicePW)
	if pg.Status != http.StatusTooManyRequests || !strings.Contains(pg.Body, textThrottled) || pg.Header.Get("Retry-After") != "30" {
		t.Fatalf("login page while throttled: %d Retry-After %q", pg.Status, pg.Header.Get("Retry-After"))
	}
	if !strings.Contains(pg.Body, `value="alice"`) {
		t.Error("the throttled login page lost the username")
	}
	r := e.passwordFrom("127.0.3.11", "alice", alicePW)
	wantError(t, r, http.StatusTooManyRequests, "temporarily_unavailable")
	if r.Header.Get("Retry-After") != "30" {
		t.Fatalf("password grant while throttled: Retry-After %q", r.Header.Get("Retry-After"))
	}
	// Bob is not affected.
	wantOK(t, e.passwordFrom("127.0.3.11", "bob", alicePW))
	// After the delay the right password works again.
	e.clk.Add(30 * time.Second)
	wantOK(t, e.passwordFrom("127.0.3.12", "alice", alicePW))
	// The log names the username and the address of each failure.
	logs := e.logs.String()
	for i := 1; i <= 4; i++ {
		if want := fmt.Sprintf("username=alice remote_ip=127.0.3.%d", i); !strings.Contains(logs, want) {
			t.Errorf("no failed sign-in log line with %s", want)
		}
	}
	if strings.Contains(logs, "guess") {
		t.Error("a guessed password reached the log")
	}
}

var hiddenValues = regexp.MustCompile(`(name="(?:request|csrf)" value=")[^"]*"`)

// TestUnknownUsernameIsThrottledIdentically: the same guesses at a real
// user and at a username that does not exist get the same answers, byte
// for byte once per-request tokens are masked, on both doors.
func TestUnknownUsernameIsThrottledIdentically(t *testing.T) {
	run := func(user string) []string {
		e := startWith(t, throttled)
		var out []string
		for i := range 6 {
			r := e.passwordFrom("127.0.4.1", user, "guess")
			out = append(out, fmt.Sprintf("grant %d retry=%q %s", r.Status, r.Header.Get("Retry-After"), r.Raw))
			pg := e.loginFrom("127.0.4.2", user, "guess")
			body := strings.ReplaceAll(hiddenValues.ReplaceAllString(pg.Body, `$1…"`), user, "USER")
			out = append(out, fmt.Sprintf("page %d retry=%q %s", pg.Status, pg.Header.Get("Retry-After"), body))
			if i == 3 {
				e.clk.Add(30 * time.Second)
			}
		}
		return out
	}
	known, unknown := run("alice"), run("mallory")
	for i := range known {
		if known[i] != unknown[i] {
			t.Fatalf("answer %d differs:\nknown:   %.300s\nunknown: %.300s", i+1, known[i], unknown[i])
		}
	}
	if !strings.HasPrefix(known[len(known)-1], "page 429") {
		t.Fatalf("the sequence never reached a throttled answer: %.100s", known[len(known)-1])
	}
}

// TestPasswordChecksBeyondTheBoundGet429: with one check at a time and no
// queue, a burst of sign-ins (each for another username, so the failure
// throttle plays no part) is shed with 429 instead of piling up argon2id
// memory; a shed attempt counts as no failure.
func TestPasswordChecksBeyondTheBoundGet429(t *testing.T) {
	e := startWith(t, func(c *config.Config) {
		c.Throttle.PasswordChecks = config.PasswordChecks{Concurrent: 1, Queue: 0, QueueWait: time.Second}
	})
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 24 {
		wg.Go(func() {
			<-start
			r := e.passwordFrom(fmt.Sprintf("127.0.5.%d", i+1), fmt.Sprint("user", i), "guess")
			if r.Status == http.StatusTooManyRequests {
				if r.str("error") != "temporarily_unavailable" || r.Header.Get("Retry-After") != "1" ||
					!strings.Contains(r.str("error_description"), "busy") {
					t.Errorf("shed answer: %s Retry-After %q", r.Raw, r.Header.Get("Retry-After"))
				}
			}
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	t.Logf("24 concurrent sign-ins, one check at a time: %v", statuses)
	if statuses[http.StatusBadRequest] == 0 || statuses[http.StatusTooManyRequests] == 0 ||
		statuses[http.StatusBadRequest]+statuses[http.StatusTooManyRequests] != 24 {
		t.Fatalf("statuses %v, want some checked (400) and the rest shed (429)", statuses)
	}
	wantOK(t, e.passwordFrom("127.0.5.100", "alice", alicePW))
}
