package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/rollcd/roll/pkg/ajp"
)

// serve answers r over AJP without ReverseProxy: ajp.Transport.Forward encodes the client's
// request straight into FORWARD_REQUEST and writes the reply straight to w (ajpRelay). It
// sends and answers what ReverseProxy and ajp.Transport.RoundTrip did (the golden AJP wire
// tests pin both), with the same choice of backend, failover and bookkeeping (attempts).
func (c *ajpClient) serve(s *service, cfg *serviceConfig, w http.ResponseWriter, r *http.Request) (by *backend, broken bool) {
	if up := requestedUpgrade(r.Header); up != "" && !printableASCII(up) {
		c.g.proxyError(w, r, fmt.Errorf("client tried to switch to invalid protocol %q", up))
		return nil, false
	}
	sid := stickyID(r, cfg.spec.StickyCookie, cfg.spec.StickyPathParam)
	info := c.g.ajpRequest(r)
	rl := newRelay(s, cfg, w, r, sid)
	defer rl.release()
	a := s.attempts(cfg, routeOf(sid))
	for rl.next(&a) {
		m := rl.m
		info.Route, info.Activation = m.spec.Route, m.spec.Activation.JK()
		// Not ctx: the public server (pkg/h1) ends a request's context only once its handler
		// returned, so watching it could never end an exchange early and would cost a context
		// watcher per request; the reply timeout bounds the wait, as with mod_jk. (Were the
		// server to end contexts when a client leaves, ctx would belong here.)
		err := c.tr.Forward(context.Background(), m.spec.Address, r, info, rl)
		// A failure before the reply is retryable only when the request body is untouched
		// (ajp.IsRetryable).
		if done, broken := rl.settle(&a, err, c.retryable, true); done {
			return rl.answerer(), broken
		}
	}
	return nil, false // no backend left: rl.next answered
}

// ajpRequest readies r to go to Tomcat as it is, as rewrite and ReverseProxy did: it returns
// what Tomcat must know about the client connection (clientInfo, or a trusted proxy's word)
// and removes from r.Header what must not reach Tomcat: the forwarding fields, once read
// (over AJP the client's address, scheme and host travel in the request itself, as mod_jk
// sends them; the fields would only add to Tomcat's maxHeaderCount), what only the gateway
// may set, the status cookies, and an empty User-Agent (a field the client did not send, for
// Tomcat). Hop-by-hop fields are left out by ajp.Transport. The request is the gateway's to
// change: nothing reads these fields afterwards.
func (g *Gateway) ajpRequest(r *http.Request) ajp.RequestInfo {
	info := clientInfo(r)
	if ip, ok := g.forwardedClient(r); ok {
		info.RemoteAddr, info.RemotePort = ip, 0
		if p := r.Header["X-Forwarded-Proto"]; len(p) > 0 && p[len(p)-1] == "https" && !info.IsSSL {
			info.IsSSL = true
			if !strings.Contains(r.Host, ":") {
				info.ServerPort = 443
			}
		}
	}
	for _, k := range forwardingHeaders {
		delete(r.Header, k)
	}
	dropGatewayOwned(r.Header)
	if ua := r.Header["User-Agent"]; len(ua) == 1 && ua[0] == "" {
		delete(r.Header, "User-Agent")
	}
	return info
}

// forwardingHeaders say who the client is and what it asked for; ReverseProxy drops the
// client's own before a Rewrite.
var forwardingHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"}
