package admin

import (
	"fmt"
	"strings"
)

// MaxWarmupRequests bounds RolloutRequest.Warmup.Requests, and maxWarmupPath its path.
const (
	MaxWarmupRequests = 10000
	maxWarmupPath     = 2048
)

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
	case !strings.HasPrefix(w.Path, "/") || len(w.Path) > maxWarmupPath || strings.ContainsFunc(w.Path, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' }):
		return fmt.Errorf("%w: warmup path %.80q: want an absolute path such as /app/ (a query is allowed), without spaces, control characters or #, at most %d bytes",
			ErrInvalid, w.Path, maxWarmupPath)
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
