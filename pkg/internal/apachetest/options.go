package apachetest

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// Defaults for Options fields left at their zero value.
const (
	// DefaultPingMode is mod_jk's recommended ping_mode: CPing on connect, before every request, and
	// on idle connections.
	DefaultPingMode = "A"
	// DefaultMount is what JkMount sends to the lb worker: /app and everything under it.
	DefaultMount = "/app|/*"
	// DefaultPacketSize is mod_jk's (and Tomcat's) AJP packet size.
	DefaultPacketSize = 8192
	// DefaultStartTimeout bounds the wait for httpd to answer after it starts.
	DefaultStartTimeout = 20 * time.Second
)

// Member is one AJP13 backend of the lb worker; its worker is named after its route.
type Member struct {
	Address string // host:port of the AJP connector
	Secret  string // the connector's secret
	Route   string // the Tomcat's jvmRoute
}

// Options describe one httpd. Members is required.
type Options struct {
	Members []Member
	// PingMode is mod_jk's ping_mode of every member. Default DefaultPingMode.
	PingMode string
	// NoSticky turns worker.lb.sticky_session off; sessions are sticky by default.
	NoSticky bool
	// Mount is the JkMount pattern of the lb worker. Default DefaultMount.
	Mount string
	// PacketSize is mod_jk's max_packet_size. Default DefaultPacketSize.
	PacketSize int
	// StartTimeout bounds the wait for httpd to answer. Default DefaultStartTimeout.
	StartTimeout time.Duration
}

// withDefaults returns o with every zero field replaced by its default.
func (o Options) withDefaults() Options {
	if o.PingMode == "" {
		o.PingMode = DefaultPingMode
	}
	if o.Mount == "" {
		o.Mount = DefaultMount
	}
	if o.PacketSize == 0 {
		o.PacketSize = DefaultPacketSize
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	return o
}

// validate refuses options that would write a broken or ambiguous configuration.
func (o Options) validate() error {
	if len(o.Members) == 0 {
		return fmt.Errorf("checking the options: no members for the lb worker")
	}
	seen := map[string]bool{}
	for _, m := range o.Members {
		if _, _, err := net.SplitHostPort(m.Address); err != nil {
			return fmt.Errorf("checking member %q: address %q: %w", m.Route, m.Address, err)
		}
		if m.Route == "" || strings.ContainsAny(m.Route, ".,= \t\r\n") {
			return fmt.Errorf("checking member %s: route %q must be a plain worker name", m.Address, m.Route)
		}
		if strings.ContainsAny(m.Secret, "\r\n") {
			return fmt.Errorf("checking member %s: the secret must be one line", m.Route)
		}
		if seen[m.Route] {
			return fmt.Errorf("checking member %s: route %q is used twice", m.Address, m.Route)
		}
		seen[m.Route] = true
	}
	return nil
}
