//go:build linux

package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rollcd/roll/examples/pgwire"
)

// serveSettings are the server's settings after the first start: TCP on every
// address of the container (the project network reaches it; publish no port),
// the socket for the launcher's ready check, no JIT (its library is not in
// the image).
var serveSettings = []string{"listen_addresses=*", "unix_socket_directories=" + socketDir, "jit=off"}

// server is one postgres process, a child of the launcher.
type server struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once it exited; err is then how
	err  error
}

func serverArgs(bin, data string, settings []string) []string {
	args := []string{filepath.Join(bin, "postgres"), "-D", data}
	for _, s := range settings {
		args = append(args, "-c", s)
	}
	return args
}

// serverEnv is the launcher's environment without the password: the server
// never needs it, and a child's environment is readable in /proc.
func serverEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "POSTGRES_PASSWORD=") {
			out = append(out, kv)
		}
	}
	return out
}

func startServer(bin, data string, settings []string) (*server, error) {
	args := serverArgs(bin, data, settings)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Env = serverEnv(os.Environ())
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// forwarded is the signal postgres gets for one the launcher got. docker stop's
// SIGTERM becomes SIGINT, a fast shutdown: postgres's own SIGTERM is a smart
// shutdown, which waits for every client to disconnect, and a connection pool
// (Tomcat's) never does, so the stop would end in SIGKILL at the grace period.
func forwarded(sig os.Signal) os.Signal {
	if sig == syscall.SIGTERM {
		return syscall.SIGINT
	}
	return sig
}

// stop asks for a fast shutdown and waits for the exit, at most timeout; then
// it kills the server.
func (s *server) stop(timeout time.Duration) error {
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling postgres: %w", err)
	}
	select {
	case <-s.done:
		return s.err
	case <-time.After(timeout):
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("postgres did not stop within %s and was killed", timeout)
	}
}

// exitCode is the launcher's exit status for the server's exit: its own code,
// or 128+n for a death by signal n, as a shell reports it.
func exitCode(err error) int {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		if err != nil {
			return 1
		}
		return 0
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}

// connect opens a trusted session over the server's Unix socket in dir.
func connect(dir, user, database string, timeout time.Duration) (*pgwire.Conn, error) {
	c, err := net.DialTimeout("unix", filepath.Join(dir, ".s.PGSQL.5432"), timeout)
	if err != nil {
		return nil, fmt.Errorf("connecting to the server's socket: %w", err)
	}
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		c.Close()
		return nil, fmt.Errorf("connecting to the server's socket: %w", err)
	}
	pc, err := pgwire.Open(c, user, database, "postgres-launcher")
	if err != nil {
		return nil, fmt.Errorf("logging in as %s to %s: %w", user, database, err)
	}
	return pc, nil
}

// startingUp is the SQLSTATE of "the database system is starting up".
const startingUp = "57P03"

// waitReady waits until the server in srv lets user into database over the
// socket in dir, it exited, or timeout passed.
func waitReady(dir, user, database string, srv *server, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := connect(dir, user, database, time.Second)
		if err == nil {
			return c.Close()
		}
		var pe *pgwire.Error
		if errors.As(err, &pe) && pe.Code != startingUp {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not take connections within %s: %w", timeout, err)
		}
		select {
		case <-srv.done:
			return fmt.Errorf("postgres exited before it took connections: %w", srv.err)
		case <-time.After(50 * time.Millisecond): // polling a socket; no event to wait on
		}
	}
}
