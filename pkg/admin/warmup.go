package admin

import (
	"fmt"
	"strings"
)

// MaxWarmupRequests bounds RolloutRequest.Warmup.Requests.
const MaxWarmupRequests = 10000

// WarmupSpec asks a rollout to send its new backends Requests GET requests for Path, through
// the service's protocol (AJP or HTTP) and with no user traffic, once they passed their
// readiness checks and before the switch (a JVM's first requests are slow). Failed warm-up
// requests are reported; only when all of them fail does the rollout fail, like a readiness
// that did not pass.
type WarmupSpec struct {
	Path     string `json:"path"`
	Requests int    `json:"requests"`
}

// Validate checks a warm-up spec.
func (w WarmupSpec) Validate() error {
	switch {
	case !strings.HasPrefix(w.Path, "/") || strings.ContainsAny(w.Path, " \t\r\n#"):
		return fmt.Errorf("%w: warmup path %q: want an absolute path such as /app/ (a query is allowed)", ErrInvalid, w.Path)
	case w.Requests < 1 || w.Requests > MaxWarmupRequests:
		return fmt.Errorf("%w: warmup requests %d: want 1 to %d", ErrInvalid, w.Requests, MaxWarmupRequests)
	}
	return nil
}

// WarmupReport says how the new backends answered their warm-up requests.
type WarmupReport struct {
	Path      string `json:"path"`
	Requests  int    `json:"requests"` // sent, over all new backends
	Failed    int    `json:"failed"`   // transport errors and 5xx answers
	LastError string `json:"last_error,omitempty"`
	// First and Last are how long the first and the last warm-up request took: what the
	// warm-up spared the first user.
	First Duration `json:"first"`
	Last  Duration `json:"last"`
}
