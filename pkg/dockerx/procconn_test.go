package dockerx

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// The process connection is tested with the shell's own tools (cat, sh,
// sleep) as the far end: what matters is the process plumbing, not ssh.

func TestProcessConnCarriesBytesBothWays(t *testing.T) {
	c, err := startProcessConn("cat")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// More than a pipe's buffer, so reading and writing must overlap.
	want := make([]byte, 1<<20)
	_, _ = rand.Read(want)
	writeErr := make(chan error, 1)
	go func() {
		_, err := c.Write(want)
		writeErr <- errors.Join(err, c.CloseWrite())
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading: %v", err)
	}
	if err := <-writeErr; err != nil {
		t.Fatalf("writing: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes that differ from the %d written", len(got), len(want))
	}
}

func TestProcessConnFailureSaysWhy(t *testing.T) {
	const msg = "ssh: connect to host build-host port 22: Connection refused"
	c, err := startProcessConn("sh", "-c", "echo '"+msg+"' >&2; exit 255")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = io.ReadAll(c)
	if err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "exit status 255") {
		t.Fatalf("err = %v, want the exit status and %q", err, msg)
	}
}

func TestProcessConnMissingProgram(t *testing.T) {
	_, err := startProcessConn("roll-no-such-helper")
	if err == nil || !strings.Contains(err.Error(), "starting roll-no-such-helper") {
		t.Fatalf("err = %v, want it to name the program", err)
	}
}

func TestProcessConnDeadline(t *testing.T) {
	c, err := startProcessConn("cat")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: err = %v, want os.ErrDeadlineExceeded", err)
	}
	// Clearing the deadline makes the connection usable again.
	if err := c.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil || b[0] != 'x' {
		t.Fatalf("read %q, %v after clearing the deadline", b, err)
	}
}

func TestProcessConnCloseEndsTheProcess(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"stops on SIGTERM", []string{"sh", "-c", "echo ready; exec sleep 600"}},
		// A helper that ignores SIGTERM and left a child holding its pipes:
		// Close must still return, with the whole group killed.
		{"ignores SIGTERM", []string{"sh", "-c", "trap '' TERM; sleep 600 & echo ready; sleep 600"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := startProcessConn(tt.args[0], tt.args[1:]...)
			if err != nil {
				t.Fatal(err)
			}
			// The helper is set up (trap included) once it said so.
			ready := make([]byte, len("ready\n"))
			if _, err := io.ReadFull(c, ready); err != nil {
				t.Fatal(err)
			}
			readErr := make(chan error, 1)
			go func() {
				_, err := c.Read(make([]byte, 1))
				readErr <- err
			}()
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-c.exited:
			default:
				t.Fatal("Close returned before the process was waited for")
			}
			if err := <-readErr; err == nil {
				t.Fatal("a read blocked in Close returned no error")
			}
			if err := c.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
		})
	}
}
