package metrics

import "github.com/tollgate-oidc/tollgate/internal/notify"

// NotifyOutcome is notify Options.Observe: one count per message whose
// delivery ended, by kind and result (both closed sets in notify).
func (m *Metrics) NotifyOutcome(o notify.Outcome) {
	m.notified.WithLabelValues(string(o.Kind), string(o.Result)).Inc()
}
