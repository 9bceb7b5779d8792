package authorize_test

import (
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// polReq is a validated request as Validate would return it.
func polReq(client string, prompt []string, maxAge int, scopes ...string) authorize.Request {
	return authorize.Request{ClientID: client, RedirectURI: polWebCB, ResponseType: config.ResponseCode,
		ResponseMode: authorize.ModeQuery, Scopes: scopes, Prompt: prompt, MaxAge: maxAge}
}

func TestNextPolicy(t *testing.T) {
	t0 := polT0
	parked := t0.Add(-2 * time.Minute) // the request arrived two minutes before "now"
	none, login, consent := []string{"none"}, []string{"login"}, []string{"consent"}
	offline := []string{"openid", "offline_access"}
	cases := []struct {
		name    string
		client  string
		req     authorize.Request
		sess    *store.Session
		cons    *store.Consent
		resumed bool
		want    authorize.Step
		code    string // error code instead of a step
	}{
		// Sign-in.
		{"no session", "web", polReq("web", nil, -1, "openid"), nil, nil, false, authorize.StepLogin, ""},
		{"no session resumed", "web", polReq("web", nil, -1, "openid"), nil, nil, true, authorize.StepLogin, ""},
		{"no session prompt=none", "web", polReq("web", none, -1, "openid"), nil, nil, false, 0, "login_required"},
		{"no session comes before consent", "web", polReq("web", consent, -1, "openid"), nil, nil, false, authorize.StepLogin, ""},
		{"session, nothing asked", "web", polReq("web", nil, -1, "openid"), polSession(t0.Add(-time.Hour)), nil, false,
			authorize.StepComplete, ""},
		{"session prompt=none", "web", polReq("web", none, -1, "openid"), polSession(t0.Add(-time.Hour)), nil, false,
			authorize.StepComplete, ""},
		{"prompt=login first pass", "web", polReq("web", login, -1, "openid"), polSession(t0.Add(-time.Second)), nil, false,
			authorize.StepLogin, ""},
		{"prompt=login first pass, session newer than park", "web", polReq("web", login, -1, "openid"), polSession(t0),
			nil, false, authorize.StepLogin, ""},
		{"prompt=login resumed, signed in at park time", "web", polReq("web", login, -1, "openid"), polSession(parked),
			nil, true, authorize.StepComplete, ""},
		{"prompt=login resumed, signed in after park", "web", polReq("web", login, -1, "openid"),
			polSession(parked.Add(time.Minute)), nil, true, authorize.StepComplete, ""},
		{"prompt=login resumed without a new sign-in", "web", polReq("web", login, -1, "openid"),
			polSession(parked.Add(-time.Nanosecond)), nil, true, authorize.StepLogin, ""},
		{"max_age exceeded", "web", polReq("web", nil, 300, "openid"), polSession(t0.Add(-301 * time.Second)), nil, false,
			authorize.StepLogin, ""},
		{"max_age exceeded by 1ns", "web", polReq("web", nil, 300, "openid"), polSession(t0.Add(-300*time.Second - 1)), nil,
			false, authorize.StepLogin, ""},
		{"max_age exactly reached", "web", polReq("web", nil, 300, "openid"), polSession(t0.Add(-300 * time.Second)), nil,
			false, authorize.StepComplete, ""},
		{"max_age within", "web", polReq("web", nil, 300, "openid"), polSession(t0.Add(-10 * time.Second)), nil, false,
			authorize.StepComplete, ""},
		{"max_age 0, signed in just now", "web", polReq("web", nil, 0, "openid"), polSession(t0), nil, false,
			authorize.StepComplete, ""},
		{"max_age 0, signed in 1s ago", "web", polReq("web", nil, 0, "openid"), polSession(t0.Add(-time.Second)), nil, false,
			authorize.StepLogin, ""},
		{"max_age exceeded, resumed after fresh login", "web", polReq("web", nil, 60, "openid"),
			polSession(parked.Add(time.Second)), nil, true, authorize.StepComplete, ""},
		{"max_age exceeded, resumed without a new sign-in", "web", polReq("web", nil, 60, "openid"),
			polSession(parked.Add(-time.Hour)), nil, true, authorize.StepLogin, ""},
		{"max_age exceeded prompt=none", "web", polReq("web", none, 60, "openid"), polSession(t0.Add(-time.Hour)), nil, false,
			0, "login_required"},
		{"max_age absent never forces", "web", polReq("web", nil, -1, "openid"), polSession(t0.Add(-1000 * time.Hour)), nil,
			false, authorize.StepComplete, ""},

		// Consent.
		{"offline asks consent", "web", polReq("web", nil, -1, offline...), polSession(t0), nil, false, authorize.StepConsent, ""},
		{"offline covered by remembered consent", "web", polReq("web", nil, -1, offline...), polSession(t0),
			polConsent("openid", "profile", "offline_access"), false, authorize.StepComplete, ""},
		{"offline, remembered consent lacks offline", "web", polReq("web", nil, -1, offline...), polSession(t0),
			polConsent("openid", "profile"), false, authorize.StepConsent, ""},
		{"offline, remembered consent empty", "web", polReq("web", nil, -1, offline...), polSession(t0), polConsent(), false,
			authorize.StepConsent, ""},
		{"no offline, no require_consent", "web", polReq("web", nil, -1, "openid", "profile"), polSession(t0), nil, false,
			authorize.StepComplete, ""},
		{"offline for client without allow_offline_access", "web-nooffline", polReq("web-nooffline", nil, -1, offline...),
			polSession(t0), nil, false, authorize.StepComplete, ""},
		{"require_consent asks", "consent", polReq("consent", nil, -1, "openid", "profile"), polSession(t0), nil, false,
			authorize.StepConsent, ""},
		{"require_consent covered", "consent", polReq("consent", nil, -1, "openid", "profile"), polSession(t0),
			polConsent("profile", "openid"), false, authorize.StepComplete, ""},
		{"require_consent partly covered", "consent", polReq("consent", nil, -1, "openid", "profile"), polSession(t0),
			polConsent("openid"), false, authorize.StepConsent, ""},
		{"prompt=consent always asks", "web", polReq("web", consent, -1, "openid"), polSession(t0),
			polConsent("openid", "profile", "email", "offline_access"), false, authorize.StepConsent, ""},
		{"prompt=consent resumed still asks", "web", polReq("web", consent, -1, "openid"), polSession(parked.Add(time.Second)),
			polConsent("openid"), true, authorize.StepConsent, ""},
		{"prompt=login consent after sign-in", "web", polReq("web", []string{"login", "consent"}, -1, "openid"),
			polSession(parked.Add(time.Second)), nil, true, authorize.StepConsent, ""},
		{"prompt=none consent needed", "web", polReq("web", none, -1, offline...), polSession(t0), nil, false, 0,
			"consent_required"},
		{"prompt=none require_consent", "consent", polReq("consent", none, -1, "openid"), polSession(t0), nil, false, 0,
			"consent_required"},
		{"prompt=none consent covered", "web", polReq("web", none, -1, offline...), polSession(t0),
			polConsent("openid", "offline_access"), false, authorize.StepComplete, ""},
		{"public client never asked about offline", "spa", polReq("spa", nil, -1, offline...), polSession(t0), nil, false,
			authorize.StepComplete, ""},
		{"public client prompt=none offline", "spa", polReq("spa", none, -1, offline...), polSession(t0), nil, false,
			authorize.StepComplete, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := polClient(t, tc.client)
			s := authorize.Situation{Session: tc.sess, Consent: tc.cons, ParkedAt: parked, Resumed: tc.resumed, Now: t0}
			step, err := authorize.Next(tc.req, c, s)
			polWantErr(t, err, tc.code)
			if step != tc.want {
				t.Fatalf("step = %d, want %d", step, tc.want)
			}
		})
	}
}

func TestOfflineRequestedPolicy(t *testing.T) {
	cases := []struct {
		client string
		scopes []string
		want   bool
	}{
		{"web", []string{"openid", "offline_access"}, true},
		{"web", []string{"openid"}, false},
		{"web", nil, false},
		{"web-nooffline", []string{"openid", "offline_access"}, false}, // not allowed refresh tokens
		{"spa", []string{"openid", "offline_access"}, false},           // public: never a refresh token
		{"consent", []string{"offline_access"}, false},
	}
	for _, tc := range cases {
		c := polClient(t, tc.client)
		if got := authorize.OfflineRequested(polReq(tc.client, nil, -1, tc.scopes...), c); got != tc.want {
			t.Errorf("OfflineRequested(%s, %q) = %v, want %v", tc.client, tc.scopes, got, tc.want)
		}
	}
}

func TestCoversPolicy(t *testing.T) {
	cases := []struct {
		name   string
		cons   *store.Consent
		scopes []string
		want   bool
	}{
		{"no consent", nil, []string{"openid"}, false},
		{"no consent, no scopes", nil, nil, false},
		{"empty request", polConsent("openid"), nil, true},
		{"exact", polConsent("openid", "profile"), []string{"profile", "openid"}, true},
		{"superset", polConsent("openid", "profile", "email"), []string{"openid"}, true},
		{"missing one", polConsent("openid"), []string{"openid", "offline_access"}, false},
		{"case matters", polConsent("OpenID"), []string{"openid"}, false},
	}
	for _, tc := range cases {
		if got := authorize.Covers(tc.cons, tc.scopes); got != tc.want {
			t.Errorf("%s: Covers = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestNextHugeMaxAgePolicy: a max_age larger than time.Duration can hold in
// nanoseconds (> 9223372036 s, about 292 years) passes Validate, then
// overflows in needsLogin: time.Duration(req.MaxAge)*time.Second wraps to a
// negative (or tiny) duration, so a sign-in one hour old counts as too old.
// With prompt=none the client gets login_required for a user who is signed in.
func TestNextHugeMaxAgePolicy(t *testing.T) {
	c := polClient(t, "web")
	r, err := authorize.Validate(polQuery(t, "response_type=code&prompt=none&max_age=10000000000"), c, polWebCB, false)
	polWantErr(t, err, "")
	s := authorize.Situation{Session: polSession(polT0.Add(-time.Hour)), ParkedAt: polT0, Now: polT0}
	step, err := authorize.Next(r, c, s)
	if err != nil || step != authorize.StepComplete {
		t.Fatalf("max_age=%d with a 1h-old sign-in: step %d, err %v; want StepComplete", r.MaxAge, step, err)
	}
}
