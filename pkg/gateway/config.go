package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/rollcd/roll/pkg/h1"
)

// Defaults of Config and of the `roll gateway` flags, kept in one place so both agree.
const (
	DefaultListen              = ":8080"
	DefaultAdminListen         = "127.0.0.1:9901"
	DefaultReadHeaderTimeout   = 10 * time.Second
	DefaultIdleTimeout         = 120 * time.Second
	DefaultBodyReadTimeout     = h1.DefaultBodyReadTimeout // like mod_reqtimeout's body=20
	DefaultWriteTimeout        = h1.DefaultWriteTimeout    // like Apache's Timeout
	DefaultMaxHeaderBytes      = 64 << 10
	DefaultShutdownTimeout     = 30 * time.Second
	DefaultDialTimeout         = 3 * time.Second
	DefaultMaxIdleConnsPerHost = 512 // a full pool closes what comes back; at 64, 1,000 clients re-dialled ~1,000 conns/s (docs/benchmarks.md)

	// A ServiceSpec's defaults are the admin contract's (admin.DefaultSessionIdle, …), which
	// roll's x-roll settings share.

	// maxHistory is how many deploy records are kept per service.
	maxHistory = 20
)

// ErrNoAdminToken is returned by New when no admin token is configured: the admin API
// changes where traffic goes, so it never runs open.
var ErrNoAdminToken = errors.New("no admin token: set --admin-token, --admin-token-file or ROLL_ADMIN_TOKEN")

// Config is everything the gateway needs to start. Zero fields take the Default values.
type Config struct {
	Listen      string // public listener, host:port
	AdminListen string // admin API, status page and metrics; loopback by default
	AdminToken  string // required; Bearer token of the admin API
	StatePath   string // routing table file; empty keeps the table in memory only

	ReadHeaderTimeout time.Duration // closes slow (slowloris) clients
	IdleTimeout       time.Duration // keep-alive idle time of client connections
	// BodyReadTimeout is the longest a client may send nothing while its request body is
	// expected; past it the client gets 408 and the backend request is aborted.
	BodyReadTimeout time.Duration
	// WriteTimeout is the longest one write of a response to a client may block: a client that
	// stops reading loses its connection, and its backend request ends.
	WriteTimeout    time.Duration
	MaxHeaderBytes  int           // larger request headers get 431
	ShutdownTimeout time.Duration // how long in-flight requests may finish after Run's context ends

	DialTimeout time.Duration // backend connect timeout
	// ReplyTimeout is the longest a backend may stay silent: between two AJP packets, or
	// before the response headers of an HTTP backend. Past it the client gets 504. 0 = no limit,
	// as with mod_jk's default, since slow pages are the application's business.
	ReplyTimeout        time.Duration
	MaxIdleConnsPerHost int // pooled keep-alive connections per backend

	// MemoryTarget, in bytes, is the Go memory the process keeps near while the gateway runs: the
	// garbage collector runs earlier as memory nears it, and the limit rises with the live heap
	// so that it never collects back to back (pkg/internal/memtarget). It sets the runtime's
	// memory limit, which is the process's: one gateway per process should set it. 0: Go's default.
	MemoryTarget int64

	// TrustedProxies are the networks of proxies in front of the gateway (a load balancer)
	// whose X-Forwarded-For, -Proto and -Host are believed: the client address Tomcat sees is
	// then the last X-Forwarded-For entry outside them. From anyone else those headers are
	// replaced.
	TrustedProxies []netip.Prefix

	// TLS, when set, adds the TLS listener (HTTPS and HTTP/2) beside the plain one.
	TLS *TLSConfig

	PublicStatus bool         // serve /status, /status.json and /metrics without the token
	AccessLog    bool         // log one line per request
	Logger       *slog.Logger // nil logs nothing

	// How often changed session sets go to the state file (see saveSessions); tests shorten them.
	sessionSaveEvery, sessionSaveDraining time.Duration
	// How often the status page's charts take a sample (see recordTraffic); tests stretch it
	// and take samples themselves.
	historyEvery time.Duration
}

func (c *Config) applyDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.AdminListen == "" {
		c.AdminListen = DefaultAdminListen
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.BodyReadTimeout == 0 {
		c.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.MaxIdleConnsPerHost <= 0 {
		c.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	}
	if c.sessionSaveEvery <= 0 {
		c.sessionSaveEvery = defaultSessionSaveEvery
	}
	if c.sessionSaveDraining <= 0 {
		c.sessionSaveDraining = defaultSessionSaveDraining
	}
	if c.historyEvery <= 0 {
		c.historyEvery = historyEvery
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.TLS != nil {
		t := *c.TLS // the caller's stays as it was
		t.applyDefaults()
		c.TLS = &t
	}
}

func (c *Config) validate() error {
	if c.AdminToken == "" {
		return ErrNoAdminToken
	}
	if len(c.AdminToken) < 8 {
		return fmt.Errorf("checking the admin token: it has %d characters, want at least 8", len(c.AdminToken))
	}
	if c.TLS != nil {
		return c.TLS.validate()
	}
	return nil
}
