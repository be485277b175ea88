package gateway

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/rollcd/roll/pkg/h1"
)

// serve answers r over HTTP without ReverseProxy: h1.Client.Forward writes the client's request
// to the backend in one go and relays the answer straight to w (relay), as relay_ajp.go does
// over AJP. It sends and answers what ReverseProxy and net/http.Transport did (the golden HTTP
// wire tests pin both, and say where it differs on purpose), with the same choice of backend,
// failover and bookkeeping (attempts). A request that asks for a protocol switch (WebSocket)
// takes the ReverseProxy path, which can carry one.
func (c *httpClient) serve(s *service, cfg *serviceConfig, w http.ResponseWriter, r *http.Request) (by *backend, broken bool) {
	if requestedUpgrade(r.Header) != "" {
		c.proxy.ServeHTTP(w, r)
		return nil, false // roundTripper counts and times the answer
	}
	sid := stickyID(r, cfg.spec.StickyCookie, cfg.spec.StickyPathParam)
	rl := newRelay(s, cfg, w, r, sid)
	defer rl.release()
	activation := c.g.httpRequest(r, rl)
	a := s.attempts(cfg, routeOf(sid))
	for rl.next(&a) {
		m := rl.m
		activation.Value = activationValues[m.spec.Activation][0]
		// Not ctx, for the reason serve over AJP gives; the reply timeout bounds the wait.
		err := c.cl.Forward(context.Background(), m.spec.Address, &rl.out, rl)
		if done, broken := rl.settle(&a, err, c.retryable, !rl.guard.touched.Load()); done {
			return rl.answerer(), broken
		}
	}
	return nil, false // no backend left: rl.next answered
}

// httpRequest readies r to go to an HTTP backend as rewrite and ReverseProxy shaped it: the
// client's Host (the gateway's own address for an HTTP/1.0 request without one), its fields
// without the hop-by-hop ones (but "Te: trailers") and without what only the gateway may set
// (dropGatewayOwned), and X-Forwarded-For/-Host/-Proto as SetXForwarded builds them (a trusted
// proxy's extended or kept). It fills rl.out and returns the field that will carry the
// backend's activation, to be set per attempt. The request is the gateway's to change.
func (g *Gateway) httpRequest(r *http.Request, rl *relay) (activation *h1.Field) {
	h := r.Header
	trusted := g.trustedPeer(r)
	n := 0
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if prior := h["X-Forwarded-For"]; trusted && len(prior) > 0 {
			ip = strings.Join(prior, ", ") + ", " + ip
		}
		rl.fields[n] = h1.Field{Name: "X-Forwarded-For", Value: ip}
		n++
	}
	host := r.Host
	if v := h["X-Forwarded-Host"]; trusted && len(v) > 0 {
		host = v[len(v)-1]
	}
	if host != "" {
		rl.fields[n] = h1.Field{Name: "X-Forwarded-Host", Value: host}
		n++
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	if v := h["X-Forwarded-Proto"]; trusted && len(v) > 0 {
		proto = v[len(v)-1]
	}
	rl.fields[n] = h1.Field{Name: "X-Forwarded-Proto", Value: proto}
	rl.fields[n+1] = h1.Field{Name: activationHeader}
	for _, k := range forwardingHeaders {
		delete(h, k)
	}
	dropGatewayOwned(h)
	trailers := false
	for _, v := range h["Te"] {
		trailers = trailers || hasToken(v, "trailers")
	}
	dropHopByHop(h)
	if trailers {
		h["Te"] = teTrailers
	}
	if ua := h["User-Agent"]; len(ua) > 0 && ua[0] == "" {
		delete(h, "User-Agent") // net/http sent the first User-Agent only, and none when empty
	} else if len(ua) > 1 {
		h["User-Agent"] = ua[:1]
	}
	rl.out = h1.Outgoing{Req: r, Host: r.Host, Fields: rl.fields[:n+2]}
	if rl.out.Host == "" {
		rl.out.Host = localHost(r)
	}
	if r.Body != nil && r.Body != http.NoBody {
		rl.guard.rc = r.Body
		rl.out.Body = &rl.guard
	}
	return &rl.fields[n+1]
}

// teTrailers is the one TE value a proxy passes on (as ReverseProxy does); shared, never modified.
var teTrailers = []string{"trailers"}
