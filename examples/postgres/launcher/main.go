//go:build linux

// Command launcher runs PostgreSQL as the container's main process in an image
// that has no shell (scripts/build-postgres-image.sh builds it from Debian's
// postgresql-15): on the first start it makes the data directory in the volume
// from the image's template cluster and creates the app's role, database and
// the table Tomcat's DataSourceStore uses; then it runs postgres listening on
// every address and hands it the stop signals, docker stop's SIGTERM as a fast
// shutdown.
//
// "postgres-launcher ready" instead checks that the server lets the app's
// user into its database (exit 0), for a healthcheck, or says why not (exit 1).
//
// Environment: POSTGRES_PASSWORD (required), POSTGRES_USER (tomcat),
// POSTGRES_DB (sessions), PGDATA (/var/lib/postgresql/data/pgdata), PG_BIN,
// PG_TEMPLATE.
// The role, database and table are made on the first start only. Linux only,
// like the image it runs in.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	// Before anything else: PID 1 gets no signal it has no handler for.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := configOf(os.Getenv)
	if len(os.Args) > 1 && os.Args[1] == "ready" {
		os.Exit(runReady(cfg, err))
	}
	if err != nil {
		log.Error("cannot start postgres", "err", err)
		os.Exit(2)
	}
	if err := initialize(cfg, log, sigs); err != nil {
		log.Error("cannot start postgres", "err", err)
		os.Exit(2)
	}
	os.Exit(serve(cfg, log, sigs))
}

// serve runs the server until it exits, passing it the signals the launcher gets.
func serve(cfg config, log *slog.Logger, sigs <-chan os.Signal) int {
	srv, err := startServer(cfg.bin, cfg.data, serveSettings)
	if err != nil {
		log.Error("cannot start postgres", "err", err)
		return 2
	}
	log.Info("postgres started", "pgdata", cfg.data, "database", cfg.database, "user", cfg.user, "pid", srv.cmd.Process.Pid)
	for {
		select {
		case sig := <-sigs:
			log.Info("passing a signal to postgres", "got", sig, "sent", forwarded(sig))
			_ = srv.cmd.Process.Signal(forwarded(sig))
		case <-srv.done:
			code := exitCode(srv.err)
			log.Info("postgres exited", "code", code)
			return code
		}
	}
}

// runReady prints one line: ready, or why not. The final server takes
// connections only once the first start's setup is done, so a session of the
// app's user in its database means the table is there.
func runReady(cfg config, err error) int {
	if err == nil {
		err = checkReady(cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ready:", err)
		return 1
	}
	fmt.Printf("ready: %s may use %s\n", cfg.user, cfg.database)
	return 0
}

func checkReady(cfg config) error {
	c, err := connect(socketDir, cfg.user, cfg.database, 5*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}
