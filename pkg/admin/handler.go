package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// MaxBodyBytes is the largest request body the handler reads; a larger one is
// answered 413 with the code "invalid".
const MaxBodyBytes = 1 << 20

// HandlerOption configures NewHandler.
type HandlerOption func(*handler)

// WithLogger sets where the handler logs requests, refusals and panics.
// The default is slog.Default().
func WithLogger(l *slog.Logger) HandlerOption {
	return func(h *handler) {
		if l != nil {
			h.log = l
		}
	}
}

// handler serves the admin API of one Service.
type handler struct {
	svc       Service
	tokenHash [sha256.Size]byte
	log       *slog.Logger
	mux       *http.ServeMux
}

// endpoint answers one admin call. A returned error has not been written yet:
// the handler writes it as the JSON error body with the status of its code.
type endpoint func(w http.ResponseWriter, r *http.Request) error

// NewHandler serves svc's admin API under /v1/ (plus GET /healthz, which needs
// no token) and asks every /v1 call for "Authorization: Bearer <token>".
//
// It panics when token is empty or svc is nil: an admin API that anyone may
// drive, or that drives nothing, is a programming error, and the gateway
// refuses an empty token in its configuration before it gets here. The panic
// value is an error wrapping ErrInvalid.
func NewHandler(svc Service, token string, opts ...HandlerOption) http.Handler {
	if token == "" {
		panic(withSentinel(ErrInvalid, "creating the admin API handler: the admin token is empty; refusing to serve the admin API without one"))
	}
	if svc == nil {
		panic(withSentinel(ErrInvalid, "creating the admin API handler: no Service to serve"))
	}
	h := &handler{
		svc: svc,
		// Comparing digests keeps the comparison constant-time even in the
		// token's length, which subtle.ConstantTimeCompare alone would leak.
		tokenHash: sha256.Sum256([]byte(token)),
		log:       slog.Default(),
		mux:       http.NewServeMux(),
	}
	for _, o := range opts {
		o(h)
	}
	h.routes()
	return h
}

// routes registers every endpoint, plus, for each path, a fallback without a
// method that answers 405 with an Allow header in the API's JSON form
// (ServeMux's own 405 and 404 are plain text).
func (h *handler) routes() {
	eps := []struct {
		pattern string
		ep      endpoint
	}{
		{"GET /v1/services", h.listServices},
		{"GET /v1/services/{svc}", h.getService},
		{"PUT /v1/services/{svc}", h.putService},
		{"DELETE /v1/services/{svc}", h.deleteService},
		{"POST /v1/services/{svc}/backends", h.addBackend},
		{"PATCH /v1/services/{svc}/backends/{name}", h.updateBackend},
		{"DELETE /v1/services/{svc}/backends/{name}", h.removeBackend},
		{"POST /v1/services/{svc}/rollout", h.rollout},
		{"POST /v1/services/{svc}/handoff", h.handoff},
		{"POST /v1/services/{svc}/switch", h.switchNow},
		{"POST /v1/services/{svc}/promote", h.promote},
		{"POST /v1/services/{svc}/abort", h.abort},
		{"PUT /v1/services/{svc}/pause", h.pause},
		{"DELETE /v1/services/{svc}/pause", h.resume},
		{"PUT /v1/services/{svc}/maintenance", h.startMaintenance},
		{"DELETE /v1/services/{svc}/maintenance", h.endMaintenance},
		{"GET /v1/services/{svc}/deploys", h.listDeploys},
		{"POST /v1/services/{svc}/deploys", h.recordDeploy},
		{"GET /healthz", h.healthz},
	}
	allowed := map[string][]string{}
	var paths []string
	for _, e := range eps {
		h.mux.Handle(e.pattern, h.serve(e.ep))
		method, path, _ := strings.Cut(e.pattern, " ")
		if _, seen := allowed[path]; !seen {
			paths = append(paths, path)
		}
		allowed[path] = append(allowed[path], method)
		if method == http.MethodGet {
			allowed[path] = append(allowed[path], http.MethodHead)
		}
	}
	for _, path := range paths {
		h.mux.Handle(path, h.serve(methodNotAllowed(allowed[path])))
	}
	h.mux.Handle("/", h.serve(notFound))
}

// serve adapts an endpoint to http.Handler.
func (h *handler) serve(ep endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := ep(w, r); err != nil {
			h.writeError(w, err)
		}
	})
}

// ServeHTTP checks the token, routes, recovers from panics and logs one line per request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.Error("admin handler panicked", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			if !rec.wroteHeader {
				h.writeError(rec, fmt.Errorf("%s %s: the gateway failed while answering: panic: %v", r.Method, r.URL.Path, p))
			}
		}
		h.logRequest(r, rec, time.Since(start))
	}()
	// Only the liveness check is open; everything else, including unknown
	// paths, needs the token so that the API's shape is not probed for free.
	if r.URL.Path != "/healthz" {
		if reason := h.refuse(r); reason != "" {
			rec.reason = reason
			rec.Header().Set("WWW-Authenticate", `Bearer realm="roll admin"`)
			h.writeError(rec, withSentinel(ErrUnauthorized, "%s; send it as \"Authorization: Bearer <token>\"", reason))
			return
		}
	}
	h.mux.ServeHTTP(rec, r)
}

// refuse says why r is not authorized, or "" when it is. The token is read
// from the Authorization header only: a token in a URL ends up in logs and
// shell history.
func (h *handler) refuse(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "the request has no admin token"
	}
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "the Authorization header is not a Bearer token"
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if subtle.ConstantTimeCompare(got[:], h.tokenHash[:]) != 1 {
		return "the admin token is wrong"
	}
	return ""
}

// logRequest writes one line per request: mutations at Info, reads at Debug,
// refusals and bad requests at Warn, failures of the gateway at Error.
func (h *handler) logRequest(r *http.Request, rec *recorder, took time.Duration) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	level := slog.LevelDebug
	switch {
	case status >= 500:
		level = slog.LevelError
	case status >= 400:
		level = slog.LevelWarn
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		level = slog.LevelInfo
	}
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", status, "took", took, "remote", r.RemoteAddr}
	if rec.reason != "" {
		attrs = append(attrs, "reason", rec.reason)
	}
	if rec.err != nil {
		attrs = append(attrs, "err", rec.err)
	}
	h.log.Log(r.Context(), level, "admin request", attrs...)
}

// methodNotAllowed answers a known path asked with a method it does not serve.
func methodNotAllowed(methods []string) endpoint {
	allow := strings.Join(slices.Compact(slices.Sorted(slices.Values(methods))), ", ")
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Allow", allow)
		return &statusError{
			status: http.StatusMethodNotAllowed,
			err:    withSentinel(ErrInvalid, "%s %s: method not allowed; this path answers %s", r.Method, r.URL.Path, allow),
		}
	}
}

// notFound answers paths that are no admin endpoint.
func notFound(_ http.ResponseWriter, r *http.Request) error {
	return withSentinel(ErrNotFound, "%s %s: no such admin endpoint; see docs/admin-api.md", r.Method, r.URL.Path)
}

// healthz answers 200 while the handler serves; it needs no token.
func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// recorder remembers what was written, for the log line and for the panic
// recovery, which may answer only while nothing has been written yet.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	reason      string // why the request was refused, if it was
	err         error  // the error answered, if any
}

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusOK, true
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's Flush.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
