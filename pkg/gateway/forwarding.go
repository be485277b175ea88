package gateway

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"slices"
	"strings"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/h1"
)

// gatewayOwnedHeaders are request headers that say something about the client connection or
// the URL the client used. Only the gateway may set them: an app (or a framework in it)
// that trusts one a client sent can be fooled about who is calling, over which scheme, or
// which path was asked for. net/http/httputil already drops Forwarded and
// X-Forwarded-For/-Host/-Proto before rewrite runs.
var gatewayOwnedHeaders = []string{
	"X-Real-Ip", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Forwarded-Ssl", "X-Forwarded-Server",
	"X-Forwarded-Scheme", "X-Forwarded-Uri", "X-Original-Url", "X-Rewrite-Url", "Front-End-Https",
}

// statusCookies are the admin listener's cookies: a browser sends them to every port of the
// host, so they also arrive on the public listener and must never reach an app.
var statusCookies = []string{statusCookie, "roll_admin_token"}

// rewrite shapes the request to an HTTP backend: the client's Host stays (Tomcat and apps
// build their URLs from it); X-Forwarded-For/-Host/-Proto are the gateway's, extending a
// trusted proxy's; what only the gateway may set is dropped (dropGatewayOwned). The backend's
// scheme and address are filled in per attempt. (Requests to AJP backends are shaped by
// ajpRequest, without ReverseProxy.)
func (g *Gateway) rewrite(pr *httputil.ProxyRequest) {
	in, out := pr.In, pr.Out
	// httputil drops query parameters it cannot parse (";", bad escapes); the backend gets the
	// query as the client sent it, as behind Apache: parsing it is the application's business.
	out.URL.RawQuery = in.URL.RawQuery
	trusted := g.trustedPeer(in)
	if trusted {
		out.Header["X-Forwarded-For"] = in.Header["X-Forwarded-For"]
	}
	pr.SetXForwarded()
	if in.Host == "" {
		delete(out.Header, "X-Forwarded-Host")
	}
	if trusted {
		for _, k := range []string{"X-Forwarded-Proto", "X-Forwarded-Host"} {
			if v := in.Header[k]; len(v) > 0 {
				out.Header[k] = v[len(v)-1:]
			}
		}
	}
	dropGatewayOwned(out.Header)
}

// dropGatewayOwned removes from a backend request's header what only the gateway may set
// (gatewayOwnedHeaders, X-Roll-*) and the status cookies.
func dropGatewayOwned(h http.Header) {
	for _, k := range gatewayOwnedHeaders {
		delete(h, k)
	}
	for k := range h {
		if len(k) > 7 && strings.EqualFold(k[:7], "X-Roll-") {
			delete(h, k)
		}
	}
	if lines := h["Cookie"]; len(lines) > 0 {
		h["Cookie"] = withoutCookies(lines, statusCookies)
		if len(h["Cookie"]) == 0 {
			delete(h, "Cookie")
		}
	}
}

// trustedPeer reports whether the client connection comes from a proxy of
// Config.TrustedProxies, whose X-Forwarded-* headers are then believed.
func (g *Gateway) trustedPeer(r *http.Request) bool {
	if len(g.cfg.TrustedProxies) == 0 {
		return false
	}
	ip, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && g.trusts(ip.Addr())
}

func (g *Gateway) trusts(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range g.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// forwardedClient returns the client's address as a trusted proxy reported it: the last
// X-Forwarded-For entry that is not itself a trusted proxy. ok is false when the request
// did not come through a trusted proxy or it reported nothing usable.
func (g *Gateway) forwardedClient(r *http.Request) (ip string, ok bool) {
	if !g.trustedPeer(r) {
		return "", false
	}
	chain := strings.Join(r.Header["X-Forwarded-For"], ",")
	for chain != "" {
		var last string
		if i := strings.LastIndexByte(chain, ','); i >= 0 {
			chain, last = chain[:i], chain[i+1:]
		} else {
			chain, last = "", chain
		}
		a, err := netip.ParseAddr(strings.TrimSpace(last))
		if err != nil {
			return "", false
		}
		if !g.trusts(a) {
			return a.Unmap().String(), true
		}
	}
	return "", false
}

// withoutCookies removes the named cookies from Cookie header lines, keeping every other
// cookie byte for byte. Lines left empty go.
func withoutCookies(lines []string, names []string) []string {
	if !slices.ContainsFunc(lines, func(line string) bool { return containsAny(line, names) }) {
		return lines // the usual case, without an allocation
	}
	out := lines[:0:0]
	for _, line := range lines {
		if !containsAny(line, names) {
			out = append(out, line)
			continue
		}
		var kept []string
		for _, part := range strings.Split(line, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			if !contains(names, name) {
				kept = append(kept, strings.TrimSpace(part))
			}
		}
		if len(kept) > 0 {
			out = append(out, strings.Join(kept, "; "))
		}
	}
	return out
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkUpgrade refuses a 101 Switching Protocols that the proxy could not carry out: no
// upgrade asked for, a different protocol than asked, or a body that cannot be written to.
// Refused here, the backend connection is closed and the request's count ends; left to
// ReverseProxy, both would be held forever.
func checkUpgrade(res *http.Response) error {
	if res.StatusCode != http.StatusSwitchingProtocols {
		return nil
	}
	_, carries := res.Body.(io.ReadWriteCloser)
	return refusedUpgrade(upgradeType(res.Request.Header), upgradeType(res.Header), carries)
}

// refusedUpgrade is the error of a switch to the protocol got, when want was asked for ("":
// none) and the backend's connection carries it or not; nil when the switch can go ahead.
func refusedUpgrade(want, got string, carries bool) error {
	switch {
	case want == "":
		return fmt.Errorf("%w: the backend switched protocols to %q though none was asked for", errBadUpgrade, got)
	case !strings.EqualFold(want, got):
		return fmt.Errorf("%w: the backend switched to %q when %q was asked for", errBadUpgrade, got, want)
	case !carries:
		return fmt.Errorf("%w: the backend's connection cannot carry %q", errBadUpgrade, got)
	}
	return nil
}

var errBadUpgrade = errors.New("protocol switch refused")

// upgradeType is the Upgrade header's value when Connection lists "upgrade".
func upgradeType(h http.Header) string {
	for _, v := range h["Connection"] {
		if hasToken(v, "upgrade") {
			if u := h["Upgrade"]; len(u) > 0 {
				return strings.Join(u, ", ")
			}
			return ""
		}
	}
	return ""
}

func hasToken(v, token string) bool {
	for v != "" {
		var t string
		t, v, _ = strings.Cut(v, ",")
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

// isClientError reports a failure that is the client's own, not the backend's: a request
// body that broke off, stalled or was malformed, or a request too large for an AJP packet.
// It is counted apart and never puts a backend down.
func isClientError(err error) bool {
	return h1.BodyStatus(err) != 0 || ajp.IsClientError(err)
}

// localHost returns the gateway address the client connected to, as host:port: the Host an
// HTTP/1.0 request without one is given towards an HTTP backend.
func localHost(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return a.String()
	}
	return ""
}
