// Package gateway is roll's front door: an HTTP server that routes requests by host and
// path prefix to services, balances them over backends (AJP13 or HTTP) with weights,
// Tomcat-compatible sticky sessions and per-backend activation, checks backend health,
// runs rollouts (probe → switch → drain) and keeps its routing table in a crash-safe file.
// *Gateway implements admin.Service; its admin listener serves the admin API, a status page
// and Prometheus metrics.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rollcd/roll/pkg/h1"
	"github.com/rollcd/roll/pkg/internal/memtarget"
	"github.com/rollcd/roll/pkg/internal/procmetrics"
)

// Gateway routes, balances and proxies requests. Create it with New, serve with Run.
type Gateway struct {
	cfg      Config
	log      *slog.Logger
	errorLog *log.Logger // net/http's own complaints, routed to slog

	httpTransport *http.Transport // health checks and protocol switches (ReverseProxy) of HTTP services
	h1Client      *h1.Client      // the direct HTTP relay's pooled connections
	tls           *tlsState       // nil without Config.TLS

	mu       sync.Mutex          // serialises changes to services and their snapshots
	services map[string]*service // guarded by mu
	routes   atomic.Pointer[routeTable]
	served   atomic.Uint64 // requests the public handler took, for releaseIdleMemory
	// stopping is set when the gateway begins to shut down: paused services answer their held
	// requests 503 (retry in a second) instead of holding them through the shutdown.
	stopping atomic.Bool

	saveMu  sync.Mutex // serialises state file writes
	started time.Time

	procMetrics *procmetrics.Registry // the process and Go runtime families of /metrics

	// ctx owns every background goroutine (health checks, drains, pruning); Close ends it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New checks cfg, restores the state file if there is one, and starts the background work
// (health checks, session pruning and saving, rollouts a restart interrupted). Serve with Run, stop with
// Close (Run closes on its own).
func New(cfg Config) (*Gateway, error) {
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := &Gateway{
		cfg:           cfg,
		log:           cfg.Logger,
		errorLog:      slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		httpTransport: newHTTPTransport(cfg),
		h1Client:      newH1Client(cfg),
		services:      map[string]*service{},
		started:       time.Now(),
		procMetrics:   procmetrics.New(),
	}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	g.routes.Store(buildRoutes(g.services))
	if cfg.TLS != nil {
		if err := g.setupTLS(); err != nil {
			g.cancel()
			return nil, err
		}
	}
	if cfg.StatePath != "" {
		if err := g.restore(); err != nil {
			g.cancel()
			return nil, err
		}
	}
	g.goBackground(g.pruneSessions)
	if cfg.StatePath != "" {
		g.goBackground(g.saveSessions)
	}
	g.goBackground(g.releaseIdleMemory)
	if cfg.MemoryTarget > 0 {
		g.goBackground(memtarget.New(cfg.MemoryTarget, g.log).Run)
	}
	g.goBackground(g.recordTraffic)
	return g, nil
}

// Handler returns the public handler: route, balance, proxy.
func (g *Gateway) Handler() http.Handler { return http.HandlerFunc(g.serveHTTP) }

func (g *Gateway) serveHTTP(w http.ResponseWriter, r *http.Request) {
	g.served.Add(1)
	if r.Method == http.MethodOptions && r.URL.Path == "*" {
		// "OPTIONS *" asks the server itself, not a resource: answer it as Apache does.
		w.WriteHeader(http.StatusOK)
		return
	}
	path, err := normalizeRequestPath(r)
	if err != nil {
		plainAnswer(w, http.StatusBadRequest, "400 bad request: "+err.Error()+"\n")
		return
	}
	s := g.routes.Load().match(r.Host, path)
	if s == nil {
		plainAnswer(w, http.StatusNotFound, "404 not found: no service is routed here\n")
		return
	}
	if g.cfg.AccessLog {
		g.serveLogged(w, r, s)
		return
	}
	s.ServeHTTP(w, r)
}

// Run listens on cfg.Listen, cfg.TLS.Listen (with TLS) and cfg.AdminListen and serves until
// ctx ends, then shuts down gracefully. It returns nil after a clean shutdown.
func (g *Gateway) Run(ctx context.Context) error {
	pub, err := net.Listen("tcp", g.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", g.cfg.Listen, err)
	}
	var tlsL net.Listener
	if g.cfg.TLS != nil {
		if tlsL, err = net.Listen("tcp", g.cfg.TLS.Listen); err != nil {
			pub.Close()
			return fmt.Errorf("listening for TLS on %s: %w", g.cfg.TLS.Listen, err)
		}
	}
	adm, err := net.Listen("tcp", g.cfg.AdminListen)
	if err != nil {
		pub.Close()
		if tlsL != nil {
			tlsL.Close()
		}
		return fmt.Errorf("listening for the admin API on %s: %w", g.cfg.AdminListen, err)
	}
	return g.ServeTLS(ctx, pub, tlsL, adm)
}

// Serve is Run on listeners the caller opened, for a gateway without TLS. When ctx ends it
// stops accepting, lets in-flight requests finish within cfg.ShutdownTimeout, then closes the
// gateway.
func (g *Gateway) Serve(ctx context.Context, public, adminL net.Listener) error {
	return g.ServeTLS(ctx, public, nil, adminL)
}

// ServeTLS is Serve with the TLS listener too: tlsL is served with cfg.TLS, and must be
// given exactly when cfg.TLS is set.
func (g *Gateway) ServeTLS(ctx context.Context, public, tlsL, adminL net.Listener) error {
	defer g.Close()
	if (tlsL != nil) != (g.tls != nil) {
		public.Close()
		adminL.Close()
		if tlsL != nil {
			tlsL.Close()
		}
		return errors.New("serving the gateway: a TLS listener needs Config.TLS, and Config.TLS a TLS listener")
	}
	var handler http.Handler = g.Handler()
	if g.tls != nil && g.cfg.TLS.RedirectHTTP {
		handler = redirectToHTTPS(g.cfg.TLS.HTTPSPort)
	}
	pubSrv := &h1.Server{
		Handler:           handler,
		ReadHeaderTimeout: g.cfg.ReadHeaderTimeout,
		IdleTimeout:       g.cfg.IdleTimeout,
		BodyReadTimeout:   g.cfg.BodyReadTimeout,
		WriteTimeout:      g.cfg.WriteTimeout,
		MaxHeaderBytes:    g.cfg.MaxHeaderBytes,
		Logger:            g.log,
	}
	admSrv := &http.Server{
		Handler:           g.AdminHandler(),
		ReadHeaderTimeout: g.cfg.ReadHeaderTimeout,
		IdleTimeout:       g.cfg.IdleTimeout,
		MaxHeaderBytes:    g.cfg.MaxHeaderBytes,
		ErrorLog:          g.errorLog,
	}
	errc := make(chan error, 5)
	go func() { errc <- serveUntilClosed(pubSrv.Serve, public) }()
	go func() { errc <- serveUntilClosed(admSrv.Serve, adminL) }()
	var tlsSrv *tlsServers
	if tlsL != nil {
		tlsSrv = g.startTLS(tlsL, pubSrv, errc)
		g.log.Info("gateway serving TLS", "listen", tlsL.Addr().String(), "http2", !g.cfg.TLS.DisableHTTP2, "redirect_http", g.cfg.TLS.RedirectHTTP)
	}
	g.log.Info("gateway serving", "listen", public.Addr().String(), "admin", adminL.Addr().String(), "services", len(g.statuses()))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	g.log.Info("gateway shutting down", "timeout", g.cfg.ShutdownTimeout)
	g.releaseHeld()
	sctx, cancel := context.WithTimeout(context.Background(), g.cfg.ShutdownTimeout)
	defer cancel()
	var tlsErr error
	if tlsSrv != nil {
		tlsErr = tlsSrv.shutdown(sctx)
	}
	err := errors.Join(pubSrv.Shutdown(sctx), tlsErr, admSrv.Shutdown(sctx))
	if err != nil {
		err = fmt.Errorf("shutting down within %s: %w", g.cfg.ShutdownTimeout, err)
	}
	g.log.Info("gateway stopped")
	return errors.Join(serveErr, err)
}

func serveUntilClosed(serve func(net.Listener) error, l net.Listener) error {
	if err := serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", l.Addr(), err)
	}
	return nil
}

// Close stops the background work and the idle backend connections, and saves the state
// with the sessions as they are now. Rollouts that drain stop where they are, and pauses
// (their held requests answered 503, retry in a second) and maintenance stay as they are;
// the state file keeps them, and they resume at the next start.
func (g *Gateway) Close() {
	g.releaseHeld()
	g.cancel()
	g.wg.Wait()
	g.persist()
	g.httpTransport.CloseIdleConnections()
	g.h1Client.CloseIdleConnections()
	g.mu.Lock()
	for _, s := range g.services {
		s.cfg.Load().client.closeIdle()
	}
	g.mu.Unlock()
}

// goBackground runs fn under the gateway's context, owned by Close.
func (g *Gateway) goBackground(fn func(ctx context.Context)) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn(g.ctx)
	}()
}

// every calls fn with the time at each tick of d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func(now time.Time)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			fn(now)
		}
	}
}

// pruneSessions forgets idle sessions now and then, so memory follows the live count.
func (g *Gateway) pruneSessions(ctx context.Context) {
	every(ctx, 30*time.Second, func(now time.Time) {
		g.mu.Lock()
		defer g.mu.Unlock()
		for _, s := range g.services {
			idle := s.cfg.Load().sessionIdle
			for _, m := range s.snap.Load().members {
				m.b.sessions.prune(now.UnixNano(), idle)
			}
		}
	})
}
