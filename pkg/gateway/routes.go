package gateway

import (
	"cmp"
	"slices"
	"strings"
)

// routeTable maps a request to its service. It is rebuilt whole on every service change
// and swapped in with atomic.Pointer; requests only read it.
type routeTable struct {
	routes []route // most specific first
}

// route is one (host, path prefix) pair of a service.
type route struct {
	host   string // "" = any host, "*.example.com" = subdomains, else exact
	prefix string
	svc    *service
}

// hostRank orders host patterns: exact names first, then wildcards (longer suffix first),
// then any host.
func (r route) hostRank() int {
	switch {
	case r.host == "":
		return 0
	case r.host[0] == '*':
		return 1 + len(r.host)
	default:
		return 1 << 20
	}
}

// buildRoutes makes the table of services. The order decides matching: by host class,
// then longest path prefix, then name (so that equal pairs are rejected elsewhere).
func buildRoutes(services map[string]*service) *routeTable {
	t := &routeTable{}
	for _, s := range services {
		spec := s.cfg.Load().spec
		hosts := spec.Hosts
		if len(hosts) == 0 {
			hosts = []string{""}
		}
		for _, h := range hosts {
			for _, p := range spec.PathPrefixes {
				t.routes = append(t.routes, route{host: h, prefix: p, svc: s})
			}
		}
	}
	slices.SortFunc(t.routes, func(a, b route) int {
		if c := cmp.Compare(b.hostRank(), a.hostRank()); c != 0 {
			return c
		}
		if c := cmp.Compare(len(b.prefix), len(a.prefix)); c != 0 {
			return c
		}
		return cmp.Compare(a.svc.name, b.svc.name)
	})
	return t
}

// match returns the service for a request's Host and normalised (still escaped) path, or nil.
func (t *routeTable) match(requestHost, path string) *service {
	host := stripPort(requestHost)
	for i := range t.routes {
		rt := &t.routes[i]
		if rt.host != "" && !hostMatches(rt.host, host) {
			continue
		}
		if prefixMatches(rt.prefix, path) {
			return rt.svc
		}
	}
	return nil
}

// conflict returns the route of another service that has the same host and prefix as one
// of spec's, so that PutService can refuse ambiguous routing.
func (t *routeTable) conflict(name string, hosts, prefixes []string) (route, bool) {
	if len(hosts) == 0 {
		hosts = []string{""}
	}
	for _, rt := range t.routes {
		if rt.svc.name == name {
			continue
		}
		if slices.Contains(hosts, rt.host) && slices.Contains(prefixes, rt.prefix) {
			return rt, true
		}
	}
	return route{}, false
}

// prefixMatches is JkMount-like: "/app" matches "/app", "/app/…" and "/app;jsessionid=…",
// never "/apple".
func prefixMatches(prefix, path string) bool {
	if prefix == "/" {
		return true
	}
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	if len(path) == len(prefix) {
		return true
	}
	c := path[len(prefix)]
	return c == '/' || c == ';'
}

// hostMatches compares a host pattern (lower case) with a request host, ignoring case.
func hostMatches(pattern, host string) bool {
	if pattern[0] == '*' {
		suffix := pattern[1:] // ".example.com"
		return len(host) > len(suffix) && strings.EqualFold(host[len(host)-len(suffix):], suffix)
	}
	return strings.EqualFold(pattern, host)
}

// stripPort removes a :port from a Host header, keeping IPv6 brackets' contents intact.
func stripPort(host string) string {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}
