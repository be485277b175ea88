package admin

import "time"

// Defaults of a ServiceSpec and a RolloutRequest: the gateway applies them to what a caller
// leaves empty, and roll's x-roll settings start from them, so both always agree.
const (
	DefaultPacketSize      = 8192 // Tomcat's and mod_jk's AJP packet size
	DefaultStickyCookie    = "JSESSIONID"
	DefaultStickyPathParam = "jsessionid"
	DefaultSessionIdle     = 30 * time.Minute // Tomcat's session-timeout default
	DefaultHealthCheck     = CheckRequest
	DefaultHealthPath      = "/"
	DefaultHealthInterval  = 5 * time.Second
	DefaultHealthTimeout   = 2 * time.Second
	DefaultRecoverAfter    = 30 * time.Second
	DefaultDrainMode       = DrainSessions
	DefaultDrainTimeout    = 10 * time.Minute
	DefaultHandoffHold     = 15 * time.Second  // users wait this long at most while the old container stops
	DefaultReadyTimeout    = 120 * time.Second // a JVM and its webapp may take a while
	DefaultReadyInterval   = time.Second
	DefaultWeight          = 1
	MaxWeight              = 100
)

// HealthCheck is how a backend is proved ready and kept checked.
type HealthCheck string

// Health checks, from the strongest.
const (
	// CheckRequest sends a real request to the health path (AJP: after a CPing) and wants a
	// 2xx or 3xx: it proves the webapp, not only the port.
	CheckRequest HealthCheck = "request"
	// CheckCPing wants an AJP CPong: the connector answers (AJP only).
	CheckCPing HealthCheck = "cping"
	// CheckTCP wants the port to accept a connection.
	CheckTCP HealthCheck = "tcp"
)

func (c HealthCheck) String() string { return string(c) }

// Valid reports whether c is one of the known checks.
func (c HealthCheck) Valid() bool { return c == CheckRequest || c == CheckCPing || c == CheckTCP }

// DrainMode says when an old backend counts as drained.
type DrainMode string

// Drain modes.
const (
	// DrainSessions waits until nothing is in flight and no sticky session is live.
	DrainSessions DrainMode = "sessions"
	// DrainRequests waits until nothing is in flight.
	DrainRequests DrainMode = "requests"
	// DrainHandoff moves the old backends' sessions to the new ones: once nothing is in flight
	// there, their sticky requests are held, the deploy stops the old containers (which write
	// their sessions to a store the new ones read), and the requests go on to the new backends.
	// A handoff that cannot be done falls back to DrainSessions.
	DrainHandoff DrainMode = "handoff"
)

func (m DrainMode) String() string { return string(m) }

// Valid reports whether m is one of the known modes.
func (m DrainMode) Valid() bool { return m == DrainSessions || m == DrainRequests || m == DrainHandoff }

// Outcome is how a deploy ended, in a DeployRecord and in roll's result.
type Outcome string

// Outcomes of a deploy.
const (
	OutcomeSucceeded   Outcome = "succeeded"   // new serving, old drained and removed
	OutcomeRolledBack  Outcome = "rolled-back" // the new container failed before the switch; removed; old still serving
	OutcomeReverted    Outcome = "reverted"    // the new backends failed after the switch; the gateway flipped back
	OutcomeInterrupted Outcome = "interrupted" // cancelled; the old version still serves (or the new one, after the switch); a re-run converges
	OutcomeFailed      Outcome = "failed"      // failed before anything changed
	OutcomeSuperseded  Outcome = "superseded"  // a newer deploy took the drain over; its containers are left to it
	OutcomeAborted     Outcome = "aborted"     // the canary was aborted (by the gateway's verdict or by hand); old still serving
)

func (o Outcome) String() string { return string(o) }

// Valid reports whether o is one of the known outcomes.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomeSucceeded, OutcomeRolledBack, OutcomeReverted, OutcomeInterrupted, OutcomeFailed, OutcomeSuperseded, OutcomeAborted:
		return true
	}
	return false
}
