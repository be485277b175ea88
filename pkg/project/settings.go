package project

import (
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// Defaults of roll's settings. Those of a service's routing, readiness, health and drain
// are the admin contract's (pkg/admin), which the gateway applies too, so a value left out
// of the compose file means the same thing everywhere.
const (
	DefaultAdminPort       = 9901
	DefaultAdminTokenEnv   = "ROLL_ADMIN_TOKEN"
	DefaultAJPPort         = 8009
	DefaultHTTPPort        = 8080
	DefaultPath            = "/"
	DefaultWeight          = admin.DefaultWeight
	DefaultPacketSize      = admin.DefaultPacketSize
	DefaultStickyCookie    = admin.DefaultStickyCookie
	DefaultStickyPathParam = admin.DefaultStickyPathParam
	DefaultSessionIdle     = admin.DefaultSessionIdle
	DefaultReadyTimeout    = admin.DefaultReadyTimeout
	DefaultReadyInterval   = admin.DefaultReadyInterval
	DefaultDrainTimeout    = admin.DefaultDrainTimeout
	DefaultHealthInterval  = admin.DefaultHealthInterval
	DefaultHealthTimeout   = admin.DefaultHealthTimeout
	DefaultHealthRecover   = admin.DefaultRecoverAfter

	// MinPacketSize and MaxPacketSize bound packet_size as Tomcat's AJP
	// connector bounds its packetSize attribute.
	MinPacketSize = 8192
	MaxPacketSize = 65536
	// MaxWeight bounds weight like mod_jk bounds lbfactor.
	MaxWeight = admin.MaxWeight
)

// Protocol is how the gateway speaks to a rolled service.
type Protocol string

// The protocols a rolled service can speak.
const (
	ProtocolAJP  Protocol = "ajp"
	ProtocolHTTP Protocol = "http"
)

// String returns the protocol as written in the compose file.
func (p Protocol) String() string { return string(p) }

// ReadyCheck is the last step that proves a new container ready: the admin contract's
// health check.
type ReadyCheck = admin.HealthCheck

// The readiness checks, from the strongest to the weakest.
const (
	ReadyRequest = admin.CheckRequest
	ReadyCPing   = admin.CheckCPing
	ReadyTCP     = admin.CheckTCP
)

// DrainMode says when an old container counts as drained: the admin contract's.
type DrainMode = admin.DrainMode

// The drain modes.
const (
	DrainSessions = admin.DrainSessions
	DrainRequests = admin.DrainRequests
	DrainHandoff  = admin.DrainHandoff
)

// Engine says what runs the project's containers: x-roll.engine.
type Engine string

// The engines roll deploys on.
const (
	// EngineAuto picks Swarm when the engine is an active Swarm manager, else plain Docker.
	EngineAuto Engine = "auto"
	// EngineDocker runs each container on the one engine, as docker compose does.
	EngineDocker Engine = "docker"
	// EngineSwarm runs each container as a Swarm service of one task.
	EngineSwarm Engine = "swarm"
)

// Settings are roll's project-wide settings (the top-level x-roll) and the
// settings of every rolled service.
type Settings struct {
	// Engine is what runs the project: auto (the default), docker or swarm.
	Engine Engine
	// Gateway is the service that runs `roll gateway`; empty when no service
	// of the project is rolled.
	Gateway string
	// AdminPort is the gateway container's admin API port.
	AdminPort int
	// AdminTokenEnv names the gateway's environment variable holding the admin token.
	AdminTokenEnv string
	// AdminToken is that variable's value in the gateway service's resolved
	// environment. It is a secret: never log or print it.
	AdminToken string
	// Services holds the settings of each rolled service, by service name.
	Services map[string]ServiceSettings
}

// ServiceSettings are the settings of one rolled service (a service with an
// x-roll extension), defaults applied.
type ServiceSettings struct {
	// Service is the compose service name.
	Service string
	// Protocol is how the gateway speaks to the service's containers.
	Protocol Protocol
	// Port is the container port the gateway connects to.
	Port int
	// Paths are the path prefixes routed to the service (each starts with "/").
	Paths []string
	// Hosts are the host names routed to the service; empty means any host.
	Hosts []string
	// Weight is the load-balancing weight of each of the service's backends.
	Weight int
	// Replicas is how many containers of each version run (compose deploy.replicas or
	// scale; default 1): a deploy starts as many new ones beside the old, proves every one
	// ready before the one switch, then drains and stops all the old ones.
	Replicas int
	// AJPSecretEnv names the service's environment variable holding the AJP secret.
	AJPSecretEnv string
	// AJPSecret is that variable's value in the service's resolved
	// environment. It is a secret: never log or print it.
	AJPSecret string
	// PacketSize is the AJP packet size, equal to the connector's packetSize.
	PacketSize int
	// StickyCookie is the session cookie whose `.route` suffix pins a client.
	StickyCookie string
	// StickyPathParam is the path parameter (`;jsessionid=`) that does the same.
	StickyPathParam string
	// SessionIdle is how long a session stays live without a request.
	SessionIdle time.Duration
	// Ready says how a new container is proved ready.
	Ready ReadySettings
	// Watch keeps the old containers warm after the switch and flips back if the new ones
	// fail (x-roll.watch); nil: no watch.
	Watch *WatchSettings
	// Warmup sends each new container requests before its first user (x-roll.warmup); nil: none.
	Warmup *WarmupSettings
	// Drain says how an old container is drained.
	Drain DrainSettings
	// Health says how the gateway checks running backends.
	Health HealthSettings
	// Hooks are the commands a deploy runs at its steps (x-roll.hooks).
	Hooks HookSettings
	// Canary, when set, makes every deploy of the service start with a canary (x-roll.canary).
	Canary *CanarySettings
	// SlowStart ramps the new containers' share of new sessions up over this long before the
	// old ones drain (x-roll.slow_start); 0: the switch gives them everything at once.
	SlowStart time.Duration
}

// ReadySettings are x-roll.ready.
type ReadySettings struct {
	// Check is the strongest check that must pass.
	Check ReadyCheck
	// Path is the request path of the request check; by default the first routed path.
	Path string
	// Timeout bounds the whole readiness wait.
	Timeout time.Duration
	// Interval is the pause between two attempts.
	Interval time.Duration
}

// DrainSettings are x-roll.drain.
type DrainSettings struct {
	// Mode says what must end before an old container counts as drained.
	Mode DrainMode
	// Timeout bounds the drain; after it the old container is stopped anyway.
	Timeout time.Duration
	// Check is, in handoff mode, the path every old container must answer with a 2xx before
	// its sessions are handed off: the app's word that its session store is reachable.
	Check string
	// Hold bounds, in handoff mode, how long the old containers' requests in flight may take
	// to finish once their users are held (past it the drain falls back to the sticky drain,
	// which ends with a handoff), and how long one user's request waits while they stop.
	Hold time.Duration
}

// HealthSettings are x-roll.health.
type HealthSettings struct {
	// Interval is the pause between two active checks of a backend.
	Interval time.Duration
	// Timeout bounds one check.
	Timeout time.Duration
	// RecoverAfter is how long a backend marked down stays out before it is tried again.
	RecoverAfter time.Duration
}

// defaultServiceSettings returns the settings of a rolled service whose
// x-roll is empty, before the protocol-dependent defaults.
func defaultServiceSettings(name string) ServiceSettings {
	return ServiceSettings{
		Service:         name,
		Protocol:        ProtocolAJP,
		Weight:          DefaultWeight,
		Replicas:        1,
		PacketSize:      DefaultPacketSize,
		StickyCookie:    DefaultStickyCookie,
		StickyPathParam: DefaultStickyPathParam,
		SessionIdle:     DefaultSessionIdle,
		Ready:           ReadySettings{Check: ReadyRequest, Timeout: DefaultReadyTimeout, Interval: DefaultReadyInterval},
		Drain:           DrainSettings{Mode: DrainSessions, Timeout: DefaultDrainTimeout, Hold: admin.DefaultHandoffHold},
		Health:          HealthSettings{Interval: DefaultHealthInterval, Timeout: DefaultHealthTimeout, RecoverAfter: DefaultHealthRecover},
	}
}
