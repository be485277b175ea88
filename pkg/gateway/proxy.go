package gateway

import (
	"errors"
	"net/http"
	"net/http/httputil"
	"sync"

	"github.com/rollcd/roll/pkg/h1"
)

// newProxy builds the ReverseProxy of HTTP client c of service s: its Transport chooses the
// backend of each attempt, so failover happens below the proxy.
func (g *Gateway) newProxy(s *service, c *httpClient) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:        g.rewrite,
		ModifyResponse: checkUpgrade,
		Transport:      roundTripper{s: s, c: c},
		BufferPool:     proxyBuffers,
		ErrorHandler:   g.proxyError,
		ErrorLog:       g.errorLog,
		// -1 flushes every write: AJP flush packets and streamed answers reach the client at once.
		FlushInterval: -1,
	}
}

// proxyError answers a request that got no response from any backend. The status says
// whose fault it is, as mod_jk's do: 503 when no backend could take it, 504 when the
// backend did not answer in time, 502 when it answered garbage.
func (g *Gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away; there is nobody to answer
	}
	status, msg := errorStatus(err)
	if isClientError(err) {
		g.log.Debug("client error", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	} else if g.cfg.AccessLog || status != http.StatusServiceUnavailable {
		g.log.Warn("proxy error", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	plainAnswer(w, status, msg)
}

// errorStatus maps a proxy error to the status and short body the client sees.
func errorStatus(err error) (int, string) {
	switch h1.BodyStatus(err) {
	case http.StatusRequestTimeout:
		return http.StatusRequestTimeout, "408 request timeout: the request body stalled\n"
	case http.StatusBadRequest:
		return http.StatusBadRequest, "400 bad request: the request body did not arrive whole\n"
	}
	if status, msg, ok := protocolErrorStatus(err); ok {
		return status, msg
	}
	switch {
	case errors.Is(err, ErrNoBackend), isDialError(err):
		return http.StatusServiceUnavailable, "503 service unavailable: no backend can take this request now\n"
	case isTimeout(err):
		return http.StatusGatewayTimeout, "504 gateway timeout: the backend did not answer in time\n"
	default:
		return http.StatusBadGateway, "502 bad gateway: the backend failed or answered something invalid\n"
	}
}

// proxyBuffers recycles the 32 KiB copy buffers of ReverseProxy, one of the largest costs of
// a Go proxy's request path.
var proxyBuffers = &bufferPool{pool: sync.Pool{New: func() any { return new([bufferSize]byte) }}}

const bufferSize = 32 << 10

// bufferPool pools array pointers: converting the slice back to one does not allocate.
type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte { return p.pool.Get().(*[bufferSize]byte)[:] }

func (p *bufferPool) Put(b []byte) {
	if cap(b) >= bufferSize {
		p.pool.Put((*[bufferSize]byte)(b[:bufferSize]))
	}
}
