package tomcattest

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Defaults for Options fields left at their zero value.
const (
	// DefaultRoute is the Engine jvmRoute when Options.Route is empty.
	DefaultRoute = "tomcat1"
	// DefaultPacketSize is Tomcat's (and mod_jk's) AJP packet size.
	DefaultPacketSize = 8192
	// DefaultAJPKeepAlive keeps idle AJP connections open long enough that no test sees Tomcat close them
	// unless it asks for a short timeout.
	DefaultAJPKeepAlive = 10 * time.Minute
	// DefaultStartTimeout bounds the wait for the webapp to answer after the JVM starts.
	DefaultStartTimeout = 60 * time.Second
)

// Options describe one Tomcat instance. The zero value is a working instance with a random secret.
// Options is comparable: Shared uses it as a key.
type Options struct {
	// Route is the Engine jvmRoute, the suffix Tomcat appends to session ids. Default DefaultRoute.
	Route string
	// Secret is the AJP connector secret. Default: a random one per instance (see Tomcat.Secret).
	Secret string
	// PacketSize is the AJP connector packetSize. Default DefaultPacketSize.
	PacketSize int
	// AJPKeepAlive is the AJP connector's keepAliveTimeout and connectionTimeout: how long Tomcat keeps an
	// idle AJP connection before closing it. Default DefaultAJPKeepAlive.
	AJPKeepAlive time.Duration
	// MaxHeaderCount is the AJP connector's maxHeaderCount. Zero keeps Tomcat's default (100), which
	// rejects requests with more headers with 400.
	MaxHeaderCount int
	// BrokenApp deploys a webapp whose context fails to start (a listener class that does not exist):
	// every page answers 404 while the connectors, and AJP CPing, still answer.
	BrokenApp bool
	// SlowStart makes the webapp take this long to start (a load-on-startup servlet sleeps in its init).
	// Tomcat starts its connectors only after the webapp, so the ports accept connections but nothing
	// answers until then.
	SlowStart time.Duration
	// NoWait makes Start return as soon as the JVM runs, without waiting for the webapp to answer and
	// without warming up the pages. Needed with BrokenApp and SlowStart, whose webapp never answers 200
	// (or not soon).
	NoWait bool
	// StartTimeout bounds the wait for the webapp to answer. Default DefaultStartTimeout.
	StartTimeout time.Duration
}

// withDefaults returns o with every zero field replaced by its default; the secret is random.
func (o Options) withDefaults() Options {
	if o.Route == "" {
		o.Route = DefaultRoute
	}
	if o.Secret == "" {
		o.Secret = randomSecret()
	}
	if o.PacketSize == 0 {
		o.PacketSize = DefaultPacketSize
	}
	if o.AJPKeepAlive == 0 {
		o.AJPKeepAlive = DefaultAJPKeepAlive
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	return o
}

// randomSecret returns 32 hex digits: Tomcat wants an ASCII secret, and hex needs no XML escaping.
func randomSecret() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux (Go 1.24+ panics instead of erring)
	return hex.EncodeToString(b[:])
}
