package gateway

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/gateway/internal/reqpath"
)

// normalizeService validates spec and fills its defaults. Errors wrap admin.ErrInvalid and
// name the field, so the operator sees what to fix.
func normalizeService(spec admin.ServiceSpec) (admin.ServiceSpec, error) {
	bad := func(format string, args ...any) (admin.ServiceSpec, error) {
		return spec, fmt.Errorf("%w: service %q: %s", admin.ErrInvalid, spec.Name, fmt.Sprintf(format, args...))
	}
	if err := checkName(spec.Name); err != nil {
		return bad("name: %v", err)
	}
	switch spec.Protocol {
	case admin.AJP, admin.HTTP:
	case "":
		return bad("protocol is missing: want %q or %q", admin.AJP, admin.HTTP)
	default:
		return bad("protocol %q: want %q or %q", spec.Protocol, admin.AJP, admin.HTTP)
	}
	hosts := make([]string, 0, len(spec.Hosts))
	for _, h := range spec.Hosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" || strings.ContainsAny(h, " /:") || strings.Contains(h[1:], "*") || (h[0] == '*' && !strings.HasPrefix(h, "*.")) {
			return bad("host %q: want a name like example.com or *.example.com, without port", h)
		}
		hosts = append(hosts, h)
	}
	spec.Hosts = hosts
	prefixes := make([]string, 0, len(spec.PathPrefixes))
	for _, p := range spec.PathPrefixes {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " ?#;") {
			return bad("path prefix %q: want a path starting with /", p)
		}
		if len(p) > 1 {
			p = strings.TrimRight(strings.TrimSuffix(p, "/*"), "/")
			if p == "" {
				p = "/"
			}
		}
		// Requests are routed on their normalised path, so a prefix must be in that form too
		// (no dot segment, no '//', escapes only where needed) or it could never match.
		if n, err := reqpath.Normalize(p); err != nil || n != p {
			return bad("path prefix %q: want a normalised path (no //, . or .. segments, no needless %%-escapes)", p)
		}
		prefixes = append(prefixes, p)
	}
	if len(prefixes) == 0 {
		prefixes = []string{"/"}
	}
	spec.PathPrefixes = prefixes
	for _, c := range spec.Secret {
		if c < 0x21 || c > 0x7e {
			return bad("secret: only printable ASCII without spaces is allowed (Tomcat compares it as ASCII)")
		}
	}
	if spec.PacketSize == 0 {
		spec.PacketSize = admin.DefaultPacketSize
	}
	if spec.PacketSize < 8192 || spec.PacketSize > 65536 {
		return bad("packet_size %d: want 8192..65536, the same as Tomcat's packetSize", spec.PacketSize)
	}
	if spec.StickyCookie == "" {
		spec.StickyCookie = admin.DefaultStickyCookie
	}
	if spec.StickyPathParam == "" {
		spec.StickyPathParam = admin.DefaultStickyPathParam
	}
	if strings.ContainsAny(spec.StickyCookie, " ;=,\"") || strings.ContainsAny(spec.StickyPathParam, " ;=/?") {
		return bad("sticky cookie or path parameter name contains a separator")
	}
	defDuration(&spec.SessionIdle, admin.DefaultSessionIdle)
	h := &spec.Health
	if h.Check == "" {
		h.Check = admin.DefaultHealthCheck
	}
	switch h.Check {
	case admin.CheckRequest, admin.CheckTCP:
	case admin.CheckCPing:
		if spec.Protocol != admin.AJP {
			return bad("health check \"cping\" needs protocol ajp")
		}
	default:
		return bad("health check %q: want request, cping or tcp", h.Check)
	}
	if h.Path == "" {
		h.Path = admin.DefaultHealthPath
	}
	if !strings.HasPrefix(h.Path, "/") {
		return bad("health path %q: want a path starting with /", h.Path)
	}
	defDuration(&h.Interval, admin.DefaultHealthInterval)
	defDuration(&h.Timeout, admin.DefaultHealthTimeout)
	defDuration(&h.RecoverAfter, admin.DefaultRecoverAfter)
	if spec.Drain.Mode == "" {
		spec.Drain.Mode = admin.DefaultDrainMode
	}
	if !spec.Drain.Mode.Valid() {
		return bad("drain mode %q: want sessions, requests or handoff", spec.Drain.Mode)
	}
	defDuration(&spec.Drain.Timeout, admin.DefaultDrainTimeout)
	defDuration(&spec.Drain.Hold, admin.DefaultHandoffHold)
	if c := spec.Drain.Check; c != "" && !strings.HasPrefix(c, "/") {
		return bad("drain check %q: want a path starting with /", c)
	}
	for _, d := range []admin.Duration{spec.SessionIdle, h.Interval, h.Timeout, h.RecoverAfter, spec.Drain.Timeout, spec.Drain.Hold} {
		if d <= 0 {
			return bad("durations must be positive")
		}
	}
	return spec, nil
}

// normalizeBackend validates a backend spec and fills its defaults.
func normalizeBackend(service string, spec admin.BackendSpec) (admin.BackendSpec, error) {
	bad := func(format string, args ...any) (admin.BackendSpec, error) {
		return spec, fmt.Errorf("%w: backend %q of service %q: %s", admin.ErrInvalid, spec.Name, service, fmt.Sprintf(format, args...))
	}
	if err := checkName(spec.Name); err != nil {
		return bad("name: %v", err)
	}
	host, port, err := net.SplitHostPort(spec.Address)
	if err != nil || host == "" {
		return bad("address %q: want host:port", spec.Address)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return bad("address %q: port must be 1..65535", spec.Address)
	}
	if spec.Route == "" {
		spec.Route = spec.Name
	}
	if strings.ContainsAny(spec.Route, " ;,=\"") {
		return bad("route %q contains a separator", spec.Route)
	}
	if spec.Weight == 0 {
		spec.Weight = 1
	}
	if spec.Weight < 1 || spec.Weight > 100 {
		return bad("weight %d: want 1..100", spec.Weight)
	}
	if len(spec.HandedRoutes) > maxHandedRoutes {
		return bad("%d handed routes: at most %d", len(spec.HandedRoutes), maxHandedRoutes)
	}
	for _, r := range spec.HandedRoutes {
		if r == "" || strings.ContainsAny(r, " ;,=\"") {
			return bad("handed route %q is empty or contains a separator", r)
		}
	}
	if spec.Activation < admin.Active || spec.Activation > admin.Stopped {
		return bad("activation %d: want active, draining or stopped", int(spec.Activation))
	}
	return spec, nil
}

// checkName accepts names that are safe in URLs, logs and metrics labels.
func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("empty")
	}
	if len(name) > 128 {
		return fmt.Errorf("longer than 128 characters")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("%q has %q: use letters, digits, '-', '_' and '.'", name, c)
		}
	}
	return nil
}

func defDuration(d *admin.Duration, def time.Duration) {
	if *d == 0 {
		*d = admin.Duration(def)
	}
}
