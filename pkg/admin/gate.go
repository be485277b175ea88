package admin

import (
	"strings"
	"time"
	"unicode/utf8"
)

// A service's gate stands between the gateway's front door and its backends: a pause holds
// the service's requests at the gateway (they wait, they do not fail) until it is resumed or
// its Max passes; maintenance answers them with a 503 page. The service's health path is
// never held nor answered by the gate, and the gateway's own readiness probes never pass it.

// Bounds and defaults of a pause and of maintenance.
const (
	DefaultPauseMax     = 30 * time.Second // a pause resumes by itself after this long
	MaxPauseMax         = time.Hour        // no client waits longer than this at the gateway
	DefaultPauseMaxHeld = 1000             // requests held at once; more are answered 503
	MaxPauseMaxHeld     = 100000

	DefaultMaintenanceRetryAfter = 2 * time.Minute
	MaxMaintenanceRetryAfter     = 24 * time.Hour
	MaxMaintenanceMessage        = 1024 // bytes of UTF-8
)

// How a pause ended (PauseStatus.EndedBy).
const (
	PauseEndedByResume      = "resume"      // roll resume: the held requests went on, in arrival order
	PauseEndedByMax         = "max"         // its Max passed: the gateway resumed by itself
	PauseEndedByMaintenance = "maintenance" // maintenance replaced it: the held requests got the maintenance page
)

// PauseRequest pauses a service, or changes the pause under way (its held requests stay).
type PauseRequest struct {
	// Max bounds the pause from now: when it passes the gateway resumes by itself.
	// Default DefaultPauseMax, at most MaxPauseMax.
	Max Duration `json:"max,omitempty"`
	// MaxHeld bounds the requests held at once; more are answered 503 with Retry-After.
	// Default DefaultPauseMaxHeld, at most MaxPauseMaxHeld.
	MaxHeld int `json:"max_held,omitempty"`
}

// Normalize applies the defaults and checks the bounds; errors wrap ErrInvalid.
func (p PauseRequest) Normalize() (PauseRequest, error) {
	if p.Max == 0 {
		p.Max = Duration(DefaultPauseMax)
	}
	if p.MaxHeld == 0 {
		p.MaxHeld = DefaultPauseMaxHeld
	}
	if p.Max < Duration(time.Second) || p.Max > Duration(MaxPauseMax) {
		return p, withSentinel(ErrInvalid, "pause: max %s: want between 1s and %s, the longest a held client waits", time.Duration(p.Max), MaxPauseMax)
	}
	if p.MaxHeld < 1 || p.MaxHeld > MaxPauseMaxHeld {
		return p, withSentinel(ErrInvalid, "pause: max_held %d: want between 1 and %d requests", p.MaxHeld, MaxPauseMaxHeld)
	}
	return p, nil
}

// PauseStatus is a service's pause: the one under way, or the last one, once it ended.
type PauseStatus struct {
	Since   time.Time `json:"since,omitzero"`
	Until   time.Time `json:"until,omitzero"` // the gateway resumes by itself then
	MaxHeld int       `json:"max_held,omitempty"`
	// Held is the number of requests waiting now.
	Held int `json:"held"`
	// Released counts held requests that went on (to a backend, or to the maintenance page
	// that replaced the pause); Gone those whose client left while held; Refused the
	// requests answered 503 because MaxHeld were waiting.
	Released uint64 `json:"released"`
	Gone     uint64 `json:"gone"`
	Refused  uint64 `json:"refused"`
	// Ended is when it ended, EndedBy how (PauseEndedBy…); zero while it holds.
	Ended   time.Time `json:"ended,omitzero"`
	EndedBy string    `json:"ended_by,omitempty"`
}

// Active reports whether the pause holds requests now. The zero PauseStatus (never paused) is not.
func (p PauseStatus) Active() bool { return !p.Since.IsZero() && p.Ended.IsZero() }

// MaintenanceSpec puts a service in maintenance.
type MaintenanceSpec struct {
	// Message is shown on the page (HTML-escaped) and in the plain-text answer: UTF-8, at
	// most MaxMaintenanceMessage bytes, no control characters but line breaks.
	Message string `json:"message"`
	// RetryAfter is the Retry-After of the 503, whole seconds (default
	// DefaultMaintenanceRetryAfter, at most MaxMaintenanceRetryAfter).
	RetryAfter Duration `json:"retry_after,omitempty"`
}

// Normalize applies the defaults and checks the message and the bounds; errors wrap ErrInvalid.
func (m MaintenanceSpec) Normalize() (MaintenanceSpec, error) {
	m.Message = strings.TrimSpace(m.Message)
	if m.RetryAfter == 0 {
		m.RetryAfter = Duration(DefaultMaintenanceRetryAfter)
	}
	ra := time.Duration(m.RetryAfter)
	if ra < time.Second || ra > MaxMaintenanceRetryAfter {
		return m, withSentinel(ErrInvalid, "maintenance: retry_after %s: want between 1s and %s", ra, MaxMaintenanceRetryAfter)
	}
	m.RetryAfter = Duration(ra.Round(time.Second))
	if err := checkMessage(m.Message); err != nil {
		return m, err
	}
	return m, nil
}

// checkMessage refuses what a maintenance message must not carry: it reaches every visitor.
func checkMessage(msg string) error {
	if msg == "" {
		return withSentinel(ErrInvalid, "maintenance: the message is empty; say what is happening and when it ends")
	}
	if len(msg) > MaxMaintenanceMessage {
		return withSentinel(ErrInvalid, "maintenance: the message has %d bytes, more than the %d allowed", len(msg), MaxMaintenanceMessage)
	}
	if !utf8.ValidString(msg) {
		return withSentinel(ErrInvalid, "maintenance: the message is not valid UTF-8")
	}
	for i, r := range msg {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return withSentinel(ErrInvalid, "maintenance: the message has a control character (%U) at byte %d; only line breaks and tabs are allowed", r, i)
		}
	}
	return nil
}

// MaintenanceStatus is a service's maintenance: the one under way, or the last one, once it ended.
type MaintenanceStatus struct {
	MaintenanceSpec
	Since time.Time `json:"since,omitzero"`
	// Answered counts the requests answered with the maintenance page.
	Answered uint64    `json:"answered"`
	Ended    time.Time `json:"ended,omitzero"`
}

// Active reports whether the service is in maintenance now.
func (m MaintenanceStatus) Active() bool { return !m.Since.IsZero() && m.Ended.IsZero() }
