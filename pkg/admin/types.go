// Package admin is the contract of the gateway's admin API: wire types, error
// codes, the HTTP handler that serves them and the Go client that calls them.
// It imports only the standard library, so both the gateway and the deploy
// code can depend on it without depending on each other.
package admin

import (
	"fmt"
	"strings"
	"time"
)

// Activation is a backend's traffic state, as mod_jk's lb member activation.
type Activation int

const (
	// Active backends take new sessions and their own sticky sessions (mod_jk ACT).
	Active Activation = iota
	// Draining backends take only requests whose session route points at them (mod_jk DIS).
	Draining
	// Stopped backends take nothing (mod_jk STP).
	Stopped
)

var activationNames = [...]string{"active", "draining", "stopped"}

// String returns the lower-case name used on the wire and in the CLI.
func (a Activation) String() string {
	if a < 0 || int(a) >= len(activationNames) {
		return fmt.Sprintf("activation(%d)", int(a))
	}
	return activationNames[a]
}

// JK returns the mod_jk spelling (ACT, DIS, STP) that Tomcat sees as JK_LB_ACTIVATION.
func (a Activation) JK() string {
	switch a {
	case Active:
		return "ACT"
	case Draining:
		return "DIS"
	default:
		return "STP"
	}
}

// ParseActivation accepts the wire names and the mod_jk spellings, any case.
func ParseActivation(s string) (Activation, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "active", "act":
		return Active, nil
	case "draining", "dis", "disabled":
		return Draining, nil
	case "stopped", "stp":
		return Stopped, nil
	}
	return 0, fmt.Errorf("%w: activation %q: want active, draining or stopped", ErrInvalid, s)
}

// MarshalText encodes the activation as its name.
func (a Activation) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText decodes a name accepted by ParseActivation.
func (a *Activation) UnmarshalText(b []byte) error {
	v, err := ParseActivation(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Protocol is how the gateway talks to a backend.
type Protocol string

const (
	// AJP is AJP13, as mod_jk speaks it to Tomcat.
	AJP Protocol = "ajp"
	// HTTP is plain HTTP/1.1 (with WebSocket upgrades).
	HTTP Protocol = "http"
)

// Duration is a time.Duration that travels as a Go duration string ("30s").
type Duration time.Duration

// MarshalText encodes the duration as "1m30s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText decodes "1m30s"-style durations.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%w: duration %q: %v", ErrInvalid, b, err)
	}
	*d = Duration(v)
	return nil
}

// ServiceSpec is how the gateway routes to one service. Backends are managed separately.
type ServiceSpec struct {
	Name         string   `json:"name"`
	Hosts        []string `json:"hosts,omitempty"`         // Host header matches (exact, or "*.example.com"); empty = any host
	PathPrefixes []string `json:"path_prefixes,omitempty"` // like JkMount /app/*; empty = "/"
	Protocol     Protocol `json:"protocol"`
	// Secret is the AJP connector secret. It is accepted on PUT and never returned.
	Secret          string     `json:"secret,omitempty"`
	PacketSize      int        `json:"packet_size,omitempty"`       // AJP max packet size, default 8192
	StickyCookie    string     `json:"sticky_cookie,omitempty"`     // default JSESSIONID
	StickyPathParam string     `json:"sticky_path_param,omitempty"` // default jsessionid
	SessionIdle     Duration   `json:"session_idle,omitempty"`      // a session is live until idle this long; default 30m
	Health          HealthSpec `json:"health"`
	Drain           DrainSpec  `json:"drain"`
}

// HealthSpec describes how the gateway proves a backend ready and keeps checking it.
type HealthSpec struct {
	// Check is CheckRequest (the default), CheckCPing (AJP only) or CheckTCP.
	Check    HealthCheck `json:"check,omitempty"`
	Path     string      `json:"path,omitempty"` // default "/"
	Interval Duration    `json:"interval,omitempty"`
	Timeout  Duration    `json:"timeout,omitempty"`
	// RecoverAfter is how long a backend that failed passively stays out before it is tried again.
	RecoverAfter Duration `json:"recover_after,omitempty"`
}

// DrainSpec says when an old backend counts as drained.
type DrainSpec struct {
	// Mode is DrainSessions (the default), DrainRequests or DrainHandoff.
	Mode    DrainMode `json:"mode,omitempty"`
	Timeout Duration  `json:"timeout,omitempty"`
	// Check is, in DrainHandoff mode, a path every old backend must answer with a 2xx, within
	// Hold, before its sessions are handed off at once (the app's word that its session store
	// is reachable); else the drain is a sticky drain first. Empty: no check.
	Check string `json:"check,omitempty"`
	// Hold bounds, in DrainHandoff mode, how long the requests in flight on the old backends
	// may take once their sticky requests are held (past it the handoff falls back to the
	// sticky drain, which ends with a handoff), and how long one held request waits while the
	// old containers stop (past it, and a second, it is answered 503). Default DefaultHandoffHold.
	Hold Duration `json:"hold,omitempty"`
}

// BackendSpec is one backend of a service.
type BackendSpec struct {
	Name       string            `json:"name"`             // unique in the service, usually the container name
	Address    string            `json:"address"`          // host:port
	Route      string            `json:"route,omitempty"`  // jvmRoute; default Name
	Weight     int               `json:"weight,omitempty"` // lbfactor; default 1
	Activation Activation        `json:"activation"`
	Meta       map[string]string `json:"meta,omitempty"` // free-form, e.g. image, container id
	// HandedRoutes are the routes of earlier backends whose sessions this one took over in a
	// handoff: requests whose session id ends in one of them come here. Set by the gateway.
	HandedRoutes []string `json:"handed_routes,omitempty"`
}

// BackendPatch changes some fields of a backend; nil fields stay as they are.
type BackendPatch struct {
	Activation *Activation `json:"activation,omitempty"`
	Weight     *int        `json:"weight,omitempty"`
	Route      *string     `json:"route,omitempty"`
}

// BackendStatus is a backend with its live state and counters.
type BackendStatus struct {
	BackendSpec
	Healthy     bool      `json:"healthy"`
	InFlight    int64     `json:"in_flight"`
	Sessions    int64     `json:"sessions"` // live sticky sessions
	Requests    uint64    `json:"requests"` // answered, whatever the status
	Errors      uint64    `json:"errors"`   // failed without an answer (transport errors)
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Responses counts the answers by status class since the gateway started; they add up
	// to Requests.
	Responses StatusClasses `json:"responses"`
	// P95Seconds is the 95th percentile latency of the backend's answers over the last
	// minute (since the gateway's 5-second sample taken 60 to 65 s ago; since the backend
	// came, when it is younger), from the start of the request to the end of its answer,
	// interpolated in the gateway's latency buckets. Absent when nothing was answered then.
	P95Seconds float64 `json:"p95_seconds,omitempty"`
}

// StatusClasses counts answers by the class of their status. A status above 599 counts
// as a 5xx.
type StatusClasses struct {
	Informational uint64 `json:"1xx"` // 101 Switching Protocols; an interim answer (103) is not counted, its final one is
	Success       uint64 `json:"2xx"`
	Redirection   uint64 `json:"3xx"`
	ClientError   uint64 `json:"4xx"`
	ServerError   uint64 `json:"5xx"`
}

// ServiceStatus is a service's spec (without its secret) and its backends.
type ServiceStatus struct {
	ServiceSpec
	Backends []BackendStatus `json:"backends"`
	Rollout  *RolloutEvent   `json:"rollout,omitempty"` // the last event of a rollout in progress
	// Watch is the post-switch watch under way, live; nil when none runs.
	Watch *WatchStatus `json:"watch,omitempty"`
	// ClientErrors counts requests that failed by the client's fault (a body that broke off
	// or stalled, a request too large for an AJP packet): never a backend's error.
	ClientErrors uint64 `json:"client_errors"`
	// Pause is the pause under way, or the last one once it ended; nil when the service was
	// never paused since the gateway started (an active pause survives a restart).
	Pause *PauseStatus `json:"pause,omitempty"`
	// Maintenance is the maintenance under way, or the last one; nil as for Pause.
	Maintenance *MaintenanceStatus `json:"maintenance,omitempty"`
	// Canary is the canary under way, live; nil when none runs.
	Canary *CanaryStatus `json:"canary,omitempty"`
}

// RolloutRequest asks the gateway to bring new backends in and drain the others.
type RolloutRequest struct {
	Backends     []BackendSpec `json:"backends"`
	ReadyTimeout Duration      `json:"ready_timeout,omitempty"`
	// ReadyInterval is the pause between two readiness attempts (default DefaultReadyInterval).
	ReadyInterval Duration          `json:"ready_interval,omitempty"`
	DrainTimeout  Duration          `json:"drain_timeout,omitempty"` // default: the service's drain timeout
	Meta          map[string]string `json:"meta,omitempty"`          // recorded in the deploy history (image, …)
	// Watch, when set, keeps the old backends warm for a window after the switch and flips
	// back if the new ones fail (WatchSpec).
	Watch *WatchSpec `json:"watch,omitempty"`
	// Warmup, when set, sends the new backends requests before the switch (WarmupSpec).
	Warmup *WarmupSpec `json:"warmup,omitempty"`
	// SwitchHold, when set, makes the gateway wait after StepReady, up to this long (at most
	// MaxSwitchHold), for the caller's Switch before it switches: the deploy runs its
	// pre_switch hooks meanwhile. No answer in time, or an abort, fails the rollout: the new
	// backends go, the old keep serving.
	SwitchHold Duration `json:"switch_hold,omitempty"`
	// Canary, when set, gives the new backends a share of the new sessions and anonymous
	// requests once they are ready (and the held switch was answered), and switches only if
	// the gateway's verdict (or a person's) is promote; else the rollout ends aborted.
	Canary *CanarySpec `json:"canary,omitempty"`
	// SlowStart ramps the new backends' share of new sessions and anonymous requests
	// linearly to 100 % over this long (from the canary's share, if any) before the old ones
	// drain; at most MaxSlowStart.
	SlowStart Duration `json:"slow_start,omitempty"`
}

// MaxSwitchHold bounds RolloutRequest.SwitchHold.
const MaxSwitchHold = 6 * time.Hour

// SwitchReply answers the StepReady event of a rollout that holds its switch
// (RolloutRequest.SwitchHold): switch now, or give the rollout up (Abort says why).
// Rollout is the rollout's id.
type SwitchReply struct {
	Rollout string `json:"rollout"`
	Abort   string `json:"abort,omitempty"`
}

// Rollout steps, in order.
const (
	StepAdded    = "added"    // new backends registered, stopped
	StepProbing  = "probing"  // a readiness attempt failed; Message says why
	StepReady    = "ready"    // every new backend passed its checks
	StepCanary   = "canary"   // the canary runs: Canary carries the figures and the verdict so far
	StepRamping  = "ramping"  // slow start: Message says the new backends' share of new sessions
	StepSwitched = "switched" // new active, old draining, in one table swap
	StepDraining = "draining" // drain progress: Old carries the counts
	StepHandoff  = "handoff"  // DrainHandoff: Old are quiescent, their sticky requests held: stop their containers, then Handoff
	StepDrained  = "drained"  // old backends idle (or the drain timeout passed) and stopped
	StepReverted = "reverted" // the new backends failed after the switch; old active again
	StepFailed   = "failed"   // the rollout ended without switching; old still serving
	StepAborted  = "aborted"  // the canary was aborted: its users drained back, new backends stopped; old serving
)

// RolloutEvent is one acknowledgement of a rollout, streamed as one JSON line.
type RolloutEvent struct {
	// ID is the rollout's deploy record id (DeployRecord.ID): a caller whose stream broke
	// follows the rollout by it in ServiceStatus.Rollout, then finds its outcome in the history.
	ID      string          `json:"id,omitempty"`
	Step    string          `json:"step"`
	Time    time.Time       `json:"time"`
	Elapsed Duration        `json:"elapsed"`
	Message string          `json:"message,omitempty"`
	Old     []BackendStatus `json:"old,omitempty"`
	New     []BackendStatus `json:"new,omitempty"`
	Canary  *CanaryStatus   `json:"canary,omitempty"` // StepCanary, and StepAborted
	Result  *RolloutResult  `json:"result,omitempty"` // set on the last event only
	Error   *Error          `json:"error,omitempty"`  // set when the rollout failed
	Watch   *WatchStatus    `json:"watch,omitempty"`  // a post-switch watch's figures, while it runs and at StepFlipped
	Warmup  *WarmupReport   `json:"warmup,omitempty"` // StepWarmup
}

// RolloutResult closes a rollout stream.
type RolloutResult struct {
	Switched bool `json:"switched"`
	// Superseded is set when a newer rollout of the service took the drain over: the old
	// backends, and this rollout's own, are that rollout's to drain and stop. The last event
	// is then a StepDrained all the same, because this rollout's part is over and nothing
	// failed, though its old backends still drain (under the newer rollout); the deploy
	// record says OutcomeSuperseded.
	Superseded    bool `json:"superseded,omitempty"`
	DrainTimedOut bool `json:"drain_timed_out,omitempty"`
	Reverted      bool `json:"reverted,omitempty"`
	// Aborted is set when a canary was aborted: the rollout did not switch and its new
	// backends are stopped; Canary has the figures of any canary, promoted or aborted.
	Aborted bool          `json:"aborted,omitempty"`
	Canary  *CanaryStatus `json:"canary,omitempty"`
	// HandedOff counts the live sessions whose backends were handed off to the new ones
	// (DrainHandoff); HandoffFallback says why a handoff was given up for the sticky drain.
	HandedOff       int64    `json:"handed_off,omitempty"`
	HandoffFallback string   `json:"handoff_fallback,omitempty"`
	ReadyAfter      Duration `json:"ready_after"`
	DrainedAfter    Duration `json:"drained_after"`
	// Watch is how the post-switch watch ended (a flip sets Reverted too); Warmup how the
	// new backends answered their warm-up requests.
	Watch  *WatchStatus  `json:"watch,omitempty"`
	Warmup *WarmupReport `json:"warmup,omitempty"`
}

// HandoffReply answers a StepHandoff event: the old backends' containers stopped (their
// sessions are in the store), or the handoff is to be given up (Abort says why). Rollout is
// the rollout's id.
type HandoffReply struct {
	Rollout string   `json:"rollout"`
	Stopped []string `json:"stopped,omitempty"`
	Abort   string   `json:"abort,omitempty"`
}

// DeployRecord is one entry of a service's deploy history.
type DeployRecord struct {
	ID       string            `json:"id"`
	Service  string            `json:"service"`
	Started  time.Time         `json:"started"`
	Finished time.Time         `json:"finished,omitzero"`
	Outcome  Outcome           `json:"outcome"`
	Meta     map[string]string `json:"meta,omitempty"`
	Message  string            `json:"message,omitempty"`
}
