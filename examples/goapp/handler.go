package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// maxSlow bounds /slow so a typo cannot park a request for hours.
const maxSlow = 10 * time.Minute

// activationHeader carries the gateway's view of this backend over plain HTTP;
// over AJP the same value arrives as the JK_LB_ACTIVATION request attribute.
const activationHeader = "X-Roll-Activation"

// app is the example web application: the same pages over AJP and HTTP.
type app struct {
	cfg      config
	faults   *faults
	sessions *sessions
	started  time.Time
	now      func() time.Time
	log      *slog.Logger
}

func newApp(cfg config, now func() time.Time, log *slog.Logger) *app {
	started := now()
	return &app{
		cfg:      cfg,
		faults:   newFaults(cfg, started, now),
		sessions: newSessions(cfg.route, defaultSessionIdle, now),
		started:  started,
		now:      now,
		log:      log,
	}
}

// handler serves the pages for one protocol; activation says how that
// protocol carries the gateway's activation of this backend.
func (a *app) handler(protocol string, activation func(*http.Request) string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { a.index(w, r, protocol) })
	mux.HandleFunc("GET "+healthPath, a.health)
	mux.HandleFunc("GET /slow", a.slow)
	mux.HandleFunc("GET /activation", func(w http.ResponseWriter, r *http.Request) {
		v := activation(r)
		if v == "" {
			v = "none"
		}
		text(w, http.StatusOK, v)
	})
	return a.faults.wrap(mux)
}

// index counts the visit in the caller's session and says who answered.
func (a *app) index(w http.ResponseWriter, r *http.Request, protocol string) {
	var id string
	if c, err := r.Cookie(sessionCookie); err == nil {
		id = c.Value
	}
	id, hits, created := a.sessions.hit(id)
	if created {
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true})
	}
	text(w, http.StatusOK, fmt.Sprintf("version=%s route=%s session=%s hits=%d via=%s",
		a.cfg.version, a.cfg.route, id, hits, protocol))
}

// health is the readiness page: 503 until READY_DELAY has passed, and for
// ever when FAIL_READY is set, so deploys of a broken release can be tested.
func (a *app) health(w http.ResponseWriter, r *http.Request) {
	switch {
	case a.cfg.failReady:
		text(w, http.StatusServiceUnavailable, "failing: FAIL_READY is set")
	case a.now().Sub(a.started) < a.cfg.readyDelay:
		text(w, http.StatusServiceUnavailable, "starting")
	default:
		text(w, http.StatusOK, "ok")
	}
}

// slow answers after ?ms= milliseconds, to hold a request in flight during a drain.
func (a *app) slow(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	d := time.Duration(ms) * time.Millisecond
	if err != nil || ms < 0 || d > maxSlow {
		text(w, http.StatusBadRequest, fmt.Sprintf("want ?ms= between 0 and %d", maxSlow.Milliseconds()))
		return
	}
	// Logged so a person (and the shutdown test) can see a request held in flight.
	a.log.Info("slow request started", "ms", ms)
	if err := sleep(r.Context(), d); err != nil {
		// The client went away; nobody reads an answer.
		a.log.Info("slow request abandoned", "ms", ms, "err", err)
		return
	}
	text(w, http.StatusOK, fmt.Sprintf("slept %d ms", ms))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func text(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintln(w, body)
}

// headerActivation reads the activation the gateway sets on plain-HTTP backends.
func headerActivation(r *http.Request) string { return r.Header.Get(activationHeader) }
