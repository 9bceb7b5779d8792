package oauth

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/grant"
)

// FuzzTokenResponseJSON: the hand-written token response is byte for
// byte json.Marshal's, for any field values, empty ones included.
func FuzzTokenResponseJSON(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.e30.sig", "Bearer", int64(300), "openid offline_access",
		"tgrt_Zm9v.3."+strings.Repeat("A", 65), int64(2592000), "eyJ.e30.x")
	f.Add("", "", int64(0), "", "", int64(0), "")
	f.Add("a\"b\\c", "<&>", int64(-1), "s\u2028\u00e9\x00\x7f", "\xff\xfe", int64(-7), "\t\n\r\b\f")
	f.Fuzz(func(t *testing.T, at, tt string, exp int64, scope, rt string, rtexp int64, id string) {
		r := &grant.Response{AccessToken: at, TokenType: tt, ExpiresIn: exp, Scope: scope,
			RefreshToken: rt, RTExpiresIn: rtexp, IDToken: id}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendTokenResponse(nil, r); !bytes.Equal(got, want) {
			t.Fatalf("appendTokenResponse =\n%s\njson.Marshal =\n%s", got, want)
		}
	})
}

// spyWriter records a response and remembers the buffer it was handed.
type spyWriter struct {
	*httptest.ResponseRecorder
	lent []byte
}

func (s *spyWriter) Write(p []byte) (int, error) {
	s.lent = p
	return s.ResponseRecorder.Write(p)
}

// TestTokenResponseBufferCleared: the pooled buffer a response was
// encoded into holds none of its tokens once the response is written, so
// the next response to take it cannot carry them; and what was written is
// json.Marshal's encoding with the JSON content type.
func TestTokenResponseBufferCleared(t *testing.T) {
	r := &grant.Response{AccessToken: "eyJ.access.sig", TokenType: "Bearer", ExpiresIn: 300,
		Scope: "openid", RefreshToken: "tgrt_secret", RTExpiresIn: 60, IDToken: "eyJ.id.sig"}
	for _, big := range []bool{false, true} {
		if big { // a response that outgrows the pooled buffer
			r.IDToken = "eyJ." + strings.Repeat("x", 20<<10) + ".sig"
		}
		w := &spyWriter{ResponseRecorder: httptest.NewRecorder()}
		writeTokenResponse(w, r)
		want, _ := json.Marshal(r)
		if !bytes.Equal(w.Body.Bytes(), want) || w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("response %d %q %s, want 200 application/json %s", w.Code, w.Header().Get("Content-Type"), w.Body, want)
		}
		if len(w.lent) == 0 || strings.Trim(string(w.lent), "\x00") != "" {
			t.Errorf("big=%v: the pooled buffer still holds %.40q", big, w.lent)
		}
	}
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter http.Header

func (d discardWriter) Header() http.Header         { return http.Header(d) }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// Writing a token response allocates nothing of its own.
func TestTokenResponseAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops objects under the race detector")
	}
	r := &grant.Response{AccessToken: "eyJ.access.sig", TokenType: "Bearer", ExpiresIn: 300,
		Scope: "openid offline_access", RefreshToken: "tgrt_x.1.y", RTExpiresIn: 60, IDToken: "eyJ.id.sig"}
	w := discardWriter(http.Header{})
	if n := testing.AllocsPerRun(100, func() { writeTokenResponse(w, r) }); n != 0 {
		t.Errorf("writeTokenResponse: %v allocations, want 0", n)
	}
}
