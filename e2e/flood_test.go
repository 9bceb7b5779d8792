package e2e

import (
	"context"
	"database/sql"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// fromAddr is an HTTP client whose connections leave from a loopback
// address of our choosing: Linux routes all of 127.0.0.0/8 to lo, so one
// test can act as many client addresses against the real server.
func fromAddr(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{
		Transport:     &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// dbInt runs a query that returns one number on the server's SQLite file,
// opened read-only.
func (e *env) dbInt(query string) int {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, "tollgate.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	var n sql.NullInt64
	if err := db.QueryRow(query).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return int(n.Int64)
}

func (e *env) rowCount(table string) int { return e.dbInt("SELECT count(*) FROM " + table) }

// storedKiB is what a client's stored requests weigh against its budget:
// each its size in whole KiB, at least 1 (oauth.storedWeight).
func (e *env) storedKiB(clientID string) int {
	return e.dbInt("SELECT sum(max(1, (length(params)+1023)/1024)) FROM auth_requests WHERE client_id = '" + clientID + "'")
}

// paramBytes is the size of the stored authorization requests' parameters.
func (e *env) paramBytes() int { return e.dbInt("SELECT sum(length(params)) FROM auth_requests") }

// storeBytes is the size of the database and its write-ahead log.
func (e *env) storeBytes() int64 {
	files, _ := filepath.Glob(filepath.Join(e.dir, "tollgate.db*"))
	var n int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// floodParams is an authorization request of the public client "spa" with
// every stored parameter at its length cap.
func floodParams(challenge string) url.Values {
	return url.Values{"client_id": {"spa"}, "redirect_uri": {"https://spa.example/cb"}, "response_type": {"code"},
		"scope": {"openid profile"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
		"state": {strings.Repeat("s", 4096)}, "nonce": {strings.Repeat("n", 512)},
		"login_hint": {strings.Repeat("h", 512)}, "ui_locales": {strings.Repeat("x", 128)}}
}

// flood sends n requests from each address, 8 at a time, and counts the
// answers by status.
func flood(t *testing.T, addrs []string, n int, send func(c *http.Client) int) map[int]int {
	t.Helper()
	var mu sync.Mutex
	got := map[int]int{}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, a := range addrs {
		c := fromAddr(a)
		for range n {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				st := send(c)
				mu.Lock()
				got[st]++
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return got
}

func status(t *testing.T, c *http.Client, req *http.Request) int {
	res, err := c.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", req.Method, req.URL.Path, err)
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// TestFloodingAuthorizeAndPARKeepsTheStoreBounded is flaw 3 of issue 10:
// every unauthenticated /connect/authorize request was parked for 15
// minutes with parameters of any length, and /connect/par took 64 KiB
// from a public client; 300 requests added 40 MB. Now each parameter is
// capped, PAR bodies are capped at 16 KiB, and what one address and one
// client can make the server store is bounded, in KiB (the server's clock
// stands still here, so the buckets do not refill during the test).
func TestFloodingAuthorizeAndPARKeepsTheStoreBounded(t *testing.T) {
	const perIP, perClient = 240, 720 // KiB
	e := startWith(t, func(c *config.Config) {
		c.Throttle.Requests = config.Requests{PerIPKiB: perIP, PerClientKiB: perClient, Window: 15 * time.Minute}
	})
	_, challenge := pkce()
	before := e.storeBytes()
	authorize := func(c *http.Client) int {
		req, _ := http.NewRequest("GET", e.issuer+"/connect/authorize?"+floodParams(challenge).Encode(), nil)
		return status(t, c, req)
	}
	par := func(client, secret string) func(c *http.Client) int {
		return func(c *http.Client) int {
			form := floodParams(challenge)
			if client == "app" {
				form.Set("client_id", "app")
				form.Set("redirect_uri", "https://app.example/cb")
			}
			form.Set("padding", strings.Repeat("p", 4000)) // unknown parameters are stored by PAR too
			form.Set("padding2", strings.Repeat("p", 4000))
			req, _ := http.NewRequest("POST", e.issuer+"/connect/par", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if secret != "" {
				req.SetBasicAuth(client, secret)
			}
			return status(t, c, req)
		}
	}
	addrs := func(third, n int) []string {
		var out []string
		for i := range n {
			out = append(out, "127.0."+strconv.Itoa(third)+"."+strconv.Itoa(i+2))
		}
		return out
	}

	// One address: 150 sign-ins started, then 150 pushes. The address's
	// budget (shared by both) stores perIP KiB; the rest get 429.
	one := flood(t, []string{"127.0.0.1"}, 150, authorize)
	if one[http.StatusSeeOther] == 0 || one[http.StatusSeeOther]+one[http.StatusTooManyRequests] != 150 {
		t.Fatalf("one address, authorize: %v", one)
	}
	wA := e.storedKiB("spa") / one[http.StatusSeeOther] // every flood request weighs the same
	if got := e.storedKiB("spa"); got > perIP || got <= perIP-wA || wA < 4 {
		t.Errorf("one address stored %d KiB in requests of %d KiB; want the %d KiB budget used up, no more", got, wA, perIP)
	}
	onePAR := flood(t, []string{"127.0.0.1"}, 150, par("spa", ""))
	if got := e.storedKiB("spa"); got > perIP || onePAR[http.StatusCreated]+onePAR[http.StatusTooManyRequests] != 150 {
		t.Errorf("one address after pushing too: %d KiB stored (budget %d), answers %v", got, perIP, onePAR)
	}
	// Many addresses, one client: the client's budget bounds the total.
	many := flood(t, addrs(1, 30), 10, authorize)                // 300 sign-ins started, 10 per address
	manyPAR := flood(t, addrs(2, 30), 10, par("app", secretApp)) // 300 pushes by a confidential client
	rows, after := e.rowCount("auth_requests"), e.storedKiB("spa")+e.storedKiB("app")
	t.Logf("one address: authorize %v, par %v; 30 addresses: authorize %v, par %v", one, onePAR, many, manyPAR)
	t.Logf("after 900 requests: %d rows in auth_requests, %d KiB by weight, holding %d bytes of parameters; database and WAL files %d -> %d bytes",
		rows, after, e.paramBytes(), before, e.storeBytes())

	if got := e.storedKiB("spa"); got > perClient || got <= perClient-wA || many[http.StatusTooManyRequests] == 0 {
		t.Errorf("30 addresses for spa: %d KiB stored, want the client's %d KiB budget used up, no more (answers %v)", got, perClient, many)
	}
	wP := 0
	if n := manyPAR[http.StatusCreated]; n > 0 {
		wP = e.storedKiB("app") / n
	}
	if got := e.storedKiB("app"); wP == 0 || got > perClient || got <= perClient-wP || manyPAR[http.StatusTooManyRequests] == 0 {
		t.Errorf("30 addresses pushing for app: %d KiB stored in pushes of %d KiB, want the %d KiB budget used up (answers %v)", got, wP, perClient, manyPAR)
	}
	if rows > 2*perClient {
		t.Errorf("%d parked and pushed requests stored, want at most %d", rows, 2*perClient)
	}
	if n := e.paramBytes(); n > 2*perClient<<10 {
		t.Errorf("the stored requests hold %d bytes", n)
	}

	// Refused at their caps, before anything is stored.
	b := e.browser()
	long := floodParams(challenge)
	long.Set("nonce", strings.Repeat("n", 513))
	pg := b.do("GET", e.issuer+"/connect/authorize?"+long.Encode(), nil)
	if loc, _ := url.Parse(pg.Location); pg.Status != http.StatusFound || loc.Query().Get("error") != "invalid_request" ||
		loc.Query().Get("error_description") != "the nonce parameter is 513 bytes long; the limit is 512 bytes" {
		t.Errorf("over-long nonce: %d %s", pg.Status, pg.Location)
	}
	big := url.Values{"client_id": {"spa"}, "padding": {strings.Repeat("p", 17<<10)}}
	wantError(t, e.post("/connect/par", big, "", ""), http.StatusRequestEntityTooLarge, "invalid_request")
	// A refused park is a 429 page with Retry-After, not a 500.
	pg = b.do("GET", e.issuer+"/connect/authorize?"+floodParams(challenge).Encode(), nil)
	if pg.Status != http.StatusTooManyRequests || pg.Header.Get("Retry-After") == "" || !strings.Contains(pg.Body, "temporarily_unavailable") {
		t.Errorf("a park beyond the budget: %d Retry-After %q", pg.Status, pg.Header.Get("Retry-After"))
	}
	if rows2 := e.rowCount("auth_requests"); rows2 != rows {
		t.Errorf("refused requests stored rows: %d -> %d", rows, rows2)
	}

	// Nothing a flood sends produced a 500.
	if e.logs != nil && strings.Contains(e.logs.String(), "level=ERROR") {
		t.Fatalf("server errors during the flood:\n%s", e.logs.String())
	}
	// Expired rows go at the next sweep.
	e.clk.Add(16 * time.Minute)
	if _, err := e.app.Store.DeleteExpired(context.Background(), e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if rows := e.rowCount("auth_requests"); rows != 0 {
		t.Fatalf("%d rows left after the sweep", rows)
	}
}

// TestStoredBudgetWeighsBySize: the budget of stored requests counts KiB,
// not requests. An ordinary sign-in weighs 1 KiB, so an address gets as
// many of them as its budget has KiB; a request at the caps weighs about
// six times that. Counting requests instead would starve the staff of a
// hospital behind one address long before it stopped a flood.
func TestStoredBudgetWeighsBySize(t *testing.T) {
	const perIP = 16 // KiB
	e := startWith(t, func(c *config.Config) {
		c.Throttle.Requests = config.Requests{PerIPKiB: perIP, PerClientKiB: 10000, Window: 15 * time.Minute}
	})
	_, challenge := pkce()
	plain := url.Values{"client_id": {"spa"}, "redirect_uri": {"https://spa.example/cb"}, "response_type": {"code"},
		"scope": {"openid"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"xyz"}}
	send := func(q url.Values) func(c *http.Client) int {
		return func(c *http.Client) int {
			req, _ := http.NewRequest("GET", e.issuer+"/connect/authorize?"+q.Encode(), nil)
			return status(t, c, req)
		}
	}
	ordinary := flood(t, []string{"127.0.7.1"}, 20, send(plain))
	if ordinary[http.StatusSeeOther] != perIP || ordinary[http.StatusTooManyRequests] != 20-perIP {
		t.Errorf("ordinary sign-ins from one address: %v, want %d parked (1 KiB each) and the rest 429", ordinary, perIP)
	}
	heavy := flood(t, []string{"127.0.7.2"}, 20, send(floodParams(challenge)))
	if n := heavy[http.StatusSeeOther]; n < 1 || n > perIP/4 {
		t.Errorf("requests at the caps from one address: %v, want only a few parked", heavy)
	}
}
