// Command goapp is roll's example Go web app: the same pages over AJP13 (for
// roll's gateway, like a Tomcat) and plain HTTP, with in-memory sessions
// routed like Tomcat's (JSESSIONID=<id>.<route>), a readiness page that can be
// delayed or broken on purpose, a slow page, and graceful shutdown.
//
// Environment:
//
//	AJP_PORT     AJP13 port (8009); "off" disables it. Needs AJP_SECRET.
//	AJP_SECRET   the secret the gateway must send; without it the AJP port stays closed.
//	HTTP_PORT    plain HTTP port (8080); "off" disables it.
//	APP_VERSION  the version the pages show (default: the build's version).
//	JVM_ROUTE    the session route (default: the hostname, i.e. the container id).
//	READY_DELAY  /health answers 503 until this long after start (e.g. 5s).
//	FAIL_READY   1: /health always answers 503, a release that never becomes ready.
//	SHUTDOWN_TIMEOUT  how long SIGTERM waits for requests in flight (default 9s).
//	FAIL_RATE    once ready, answer this share of page requests 500 (0.2 or 20%: every 5th),
//	             a release that goes bad; /health is never failed.
//	FAIL_AFTER   FAIL_RATE starts this long after ready (default: at ready).
//	SLOW         once ready, add this delay to every page request (/health is never slowed).
//
// `goapp check PATH` asks the running app's HTTP port for PATH and exits 0 on a 2xx: a
// smoke test to run in the container (a roll pre_switch hook) in an image without a shell.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) == 3 && os.Args[1] == "check" {
		cfg, err := loadConfig(os.Getenv)
		if err == nil {
			err = check(ctx, cfg, os.Args[2], os.Stdout)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "check:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, log); err != nil {
		log.Error("goapp stopped", "err", err)
		os.Exit(1)
	}
}

// server is one listener's serving loop, HTTP or AJP, as run needs it.
type server interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

// listener is an open port and the server that answers on it.
type listener struct {
	protocol string
	l        net.Listener
	srv      server
}

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		return fmt.Errorf("reading the configuration: %w", err)
	}
	a := newApp(cfg, time.Now, log)
	ls, err := a.listen()
	if err != nil {
		return err
	}
	return a.serve(ctx, ls)
}

// listen opens the ports the configuration asks for. Both open at once, like
// Tomcat binding its connectors before the webapp is ready: readiness is
// /health's business, not the port's.
func (a *app) listen() ([]listener, error) {
	var ls []listener
	if a.cfg.httpAddr != "" {
		l, err := net.Listen("tcp", a.cfg.httpAddr)
		if err != nil {
			return nil, fmt.Errorf("listening for HTTP on %s: %w", a.cfg.httpAddr, err)
		}
		ls = append(ls, listener{"http", l, a.httpServer()})
	}
	if a.cfg.ajpAddr != "" {
		if a.cfg.ajpSecret == "" {
			a.log.Warn("AJP port closed: AJP_SECRET is empty, and an AJP port without a secret would trust anyone who reaches it", "port", a.cfg.ajpAddr)
		} else {
			l, err := net.Listen("tcp", a.cfg.ajpAddr)
			if err != nil {
				closeAll(ls)
				return nil, fmt.Errorf("listening for AJP on %s: %w", a.cfg.ajpAddr, err)
			}
			ls = append(ls, listener{"ajp", l, newAJPServer(a, a.cfg.ajpSecret)})
		}
	}
	if len(ls) == 0 {
		return nil, errors.New("nothing to serve: HTTP_PORT is off and AJP has no secret (set AJP_SECRET)")
	}
	return ls, nil
}

func (a *app) httpServer() *http.Server {
	return &http.Server{
		Handler:           a.handler("http", headerActivation),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}

// serve answers on every listener until ctx ends (SIGTERM), then stops
// accepting and lets requests in flight finish, bounded by SHUTDOWN_TIMEOUT so
// the engine's SIGKILL never catches the app half way.
func (a *app) serve(ctx context.Context, ls []listener) error {
	errc := make(chan error, len(ls))
	for _, l := range ls {
		a.log.Info("serving", "protocol", l.protocol, "addr", l.l.Addr().String(),
			"version", a.cfg.version, "route", a.cfg.route,
			"ready_delay", a.cfg.readyDelay.String(), "fail_ready", a.cfg.failReady,
			"fail_rate", float64(a.cfg.failRate)/failRateScale, "fail_after", a.cfg.failAfter.String(),
			"slow", a.cfg.slow.String())
		go func() { errc <- l.srv.Serve(l.l) }()
	}

	select {
	case err := <-errc:
		closeAll(ls)
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "timeout", a.cfg.shutdownTimeout.String(), "sessions", a.sessions.len())
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.shutdownTimeout)
	defer cancel()
	var errs []error
	for _, l := range ls {
		if err := l.srv.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("shutting down %s: %w", l.protocol, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	a.log.Info("stopped")
	return nil
}

func closeAll(ls []listener) {
	for _, l := range ls {
		l.l.Close()
	}
}
