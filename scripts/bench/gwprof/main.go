// Command gwprof runs roll's gateway in-process with net/http/pprof beside it, so
// scripts/bench-gateway.sh --profile can see where a proxied request spends its CPU and
// allocations under wrk. The gateway itself offers no profiling endpoint: it is a
// benchmark tool, not part of roll.
//
//	gwprof -listen 127.0.0.1:8080 -debug 127.0.0.1:6060 -protocol ajp -secret S \
//	    -backend tomcat1=127.0.0.1:8009 -backend tomcat2=127.0.0.1:8010
//
// The debug listener serves /debug/pprof/ and /debug/mem: one line of cumulative
// allocation counters ("mallocs=N bytes=N gcs=N", to turn into allocations per request),
// then where the process's memory is now (heap in use, heap kept for reuse, stacks).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/gateway"
)

// backendFlags collects repeated -backend name=host:port flags.
type backendFlags []admin.BackendSpec

func (b *backendFlags) String() string { return fmt.Sprint(*b) }

func (b *backendFlags) Set(v string) error {
	name, addr, ok := strings.Cut(v, "=")
	if !ok || name == "" || addr == "" {
		return fmt.Errorf("backend %q: want name=host:port", v)
	}
	*b = append(*b, admin.BackendSpec{Name: name, Address: addr, Route: name, Activation: admin.Active})
	return nil
}

func main() {
	var backends backendFlags
	listen := flag.String("listen", "127.0.0.1:8080", "public `ADDRESS` of the gateway")
	debug := flag.String("debug", "127.0.0.1:6060", "`ADDRESS` of /debug/pprof/ and /debug/mem")
	protocol := flag.String("protocol", "ajp", "backend protocol: ajp or http")
	secret := flag.String("secret", "", "AJP connector `SECRET`")
	prefix := flag.String("prefix", "/app", "path `PREFIX` routed to the backends")
	health := flag.String("health", "/app/nosession.jsp", "health-check `PATH`")
	maxIdle := flag.Int("max-idle", 0, "pooled idle connections per backend (0: the gateway's default)")
	flag.Var(&backends, "backend", "a backend as `name=host:port` (repeat)")
	flag.Parse()
	if len(backends) == 0 {
		fmt.Fprintln(os.Stderr, "gwprof: at least one -backend name=host:port is needed")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := gateway.Config{AdminToken: "gwprof-admin-token", MaxIdleConnsPerHost: *maxIdle}
	if err := run(ctx, cfg, *listen, *debug, admin.ServiceSpec{
		Name:         "app",
		Protocol:     admin.Protocol(*protocol),
		PathPrefixes: []string{*prefix},
		Secret:       *secret,
		Health:       admin.HealthSpec{Path: *health},
	}, backends); err != nil {
		fmt.Fprintln(os.Stderr, "gwprof:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg gateway.Config, listen, debug string, spec admin.ServiceSpec, backends []admin.BackendSpec) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.Logger = logger
	g, err := gateway.New(cfg)
	if err != nil {
		return fmt.Errorf("creating the gateway: %w", err)
	}
	if err := g.PutService(context.Background(), spec); err != nil {
		return fmt.Errorf("routing the service: %w", err)
	}
	for _, b := range backends {
		if _, err := g.AddBackend(context.Background(), spec.Name, b); err != nil {
			return fmt.Errorf("adding backend %s: %w", b.Name, err)
		}
	}
	pub, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listen, err)
	}
	adm, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pub.Close()
		return fmt.Errorf("listening for the admin API: %w", err)
	}
	dbg, err := net.Listen("tcp", debug)
	if err != nil {
		pub.Close()
		adm.Close()
		return fmt.Errorf("listening for pprof on %s: %w", debug, err)
	}
	dbgSrv := &http.Server{Handler: debugMux()}
	go func() {
		if err := dbgSrv.Serve(dbg); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("debug listener failed", "err", err)
		}
	}()
	defer dbgSrv.Close()
	fmt.Printf("gwprof serving on %s, pprof on %s\n", pub.Addr(), dbg.Addr())
	return g.Serve(ctx, pub, adm)
}

// debugMux serves pprof and the cumulative allocation counters.
func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/mem", func(w http.ResponseWriter, _ *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(w, "mallocs=%d bytes=%d gcs=%d\n", m.Mallocs, m.TotalAlloc, m.NumGC)
		const mib = 1 << 20
		fmt.Fprintf(w, "heap in use %.1f MiB, heap idle %.1f MiB (released %.1f), stacks %.1f MiB, runtime %.1f MiB, from the OS %.1f MiB\n",
			float64(m.HeapInuse)/mib, float64(m.HeapIdle)/mib, float64(m.HeapReleased)/mib, float64(m.StackInuse)/mib,
			float64(m.MSpanSys+m.MCacheSys+m.BuckHashSys+m.GCSys+m.OtherSys)/mib, float64(m.Sys)/mib)
	})
	return mux
}
