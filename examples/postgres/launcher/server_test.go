//go:build linux

package main

import (
	"bufio"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestForwarded(t *testing.T) {
	for got, want := range map[os.Signal]os.Signal{
		syscall.SIGTERM: syscall.SIGINT, // docker stop: a fast shutdown, not a smart one
		syscall.SIGINT:  syscall.SIGINT,
		syscall.SIGQUIT: syscall.SIGQUIT,
		syscall.SIGHUP:  syscall.SIGHUP,
	} {
		if f := forwarded(got); f != want {
			t.Errorf("%v forwarded as %v, want %v", got, f, want)
		}
	}
}

func TestServerEnvDropsThePassword(t *testing.T) {
	got := serverEnv([]string{"PATH=/bin", "POSTGRES_PASSWORD=pw", "POSTGRES_USER=tomcat", "POSTGRES_PASSWORDX=keep"})
	if want := []string{"PATH=/bin", "POSTGRES_USER=tomcat", "POSTGRES_PASSWORDX=keep"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// sleeper is a child that stands for postgres: a shell script that says "ready" once its
// traps are set, then exits with the code its trap picks, or dies by a signal it does not handle.
func sleeper(t *testing.T, script string) *server {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("the child said %q, %v", line, err)
	}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-s.done })
	return s
}

func TestStopAsksForAFastShutdown(t *testing.T) {
	// A fast shutdown is SIGINT: the child exits 0 on it and 3 on SIGTERM.
	s := sleeper(t, `trap 'exit 0' INT; trap 'exit 3' TERM; echo ready; while :; do sleep 0.05; done`)
	if err := s.stop(5 * time.Second); err != nil {
		t.Errorf("stop: %v, want the child's exit 0 after SIGINT", err)
	}
	stuck := sleeper(t, `trap '' INT; echo ready; while :; do sleep 0.05; done`)
	err := stuck.stop(200 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("a child that ignores SIGINT: %v, want it killed at the timeout", err)
	}
}

func TestExitCode(t *testing.T) {
	if got := exitCode(nil); got != 0 {
		t.Errorf("nil: %d", got)
	}
	s := sleeper(t, `echo ready; exit 7`)
	<-s.done
	if got := exitCode(s.err); got != 7 {
		t.Errorf("exit 7: %d", got)
	}
	s = sleeper(t, `echo ready; while :; do sleep 0.05; done`)
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	if got := exitCode(s.err); got != 128+9 {
		t.Errorf("killed: %d, want 137", got)
	}
}
