package config

import (
	"errors"
	"testing"
)

// Where a client is told of a revoked grant: https, or http to loopback;
// every refusal names the field.
func TestNotifyEndpoints(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(*Client)
		field string // "" when valid
	}{
		{"https push", func(cl *Client) { cl.SecurityEventPushURI = "https://rp.example/events" }, ""},
		{"loopback http logout", func(cl *Client) {
			cl.BackchannelLogoutURI, cl.BackchannelLogoutSessionRequired = "http://127.0.0.1:8080/logout?x=1", true
		}, ""},
		{"localhost http push", func(cl *Client) { cl.SecurityEventPushURI = "http://localhost:9/e" }, ""},
		{"plain http push", func(cl *Client) { cl.SecurityEventPushURI = "http://rp.example/events" }, "security_event_push_uri"},
		{"plain http logout", func(cl *Client) { cl.BackchannelLogoutURI = "http://rp.example/logout" }, "backchannel_logout_uri"},
		{"fragment", func(cl *Client) { cl.BackchannelLogoutURI = "https://rp.example/logout#x" }, "backchannel_logout_uri"},
		{"relative", func(cl *Client) { cl.SecurityEventPushURI = "/events" }, "security_event_push_uri"},
		{"other scheme", func(cl *Client) { cl.SecurityEventPushURI = "ftp://rp.example/e" }, "security_event_push_uri"},
		{"credentials", func(cl *Client) { cl.SecurityEventPushURI = "https://u:p@rp.example/e" }, "security_event_push_uri"},
		{"session required without a URI", func(cl *Client) { cl.BackchannelLogoutSessionRequired = true }, "backchannel_logout_session_required"},
	} {
		cfg := validConfig(t)
		c.edit(&cfg.Clients[0])
		err := cfg.Finish()
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Field != `clients[0] "web".`+c.field {
			t.Errorf("%s: %v, want one problem in %s", c.name, err, c.field)
		}
	}
}
