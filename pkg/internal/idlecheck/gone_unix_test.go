//go:build linux || darwin || freebsd || netbsd || openbsd

package idlecheck

import (
	"net"
	"testing"
	"time"
)

// pair returns both ends of a loopback TCP connection.
func pair(t *testing.T) (server, client *net.TCPConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); c.Close() })
	return s.(*net.TCPConn), c.(*net.TCPConn)
}

// eventually polls Gone until it says want, as a waiting request does.
func eventually(t *testing.T, nc net.Conn, want bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if Gone(nc) == want {
			return
		}
	}
	t.Fatalf("Gone never reported %t", want)
}

func TestGone(t *testing.T) {
	t.Run("open and quiet", func(t *testing.T) {
		s, _ := pair(t)
		if Gone(s) {
			t.Fatal("an open, quiet connection reported gone")
		}
	})
	t.Run("closed by the client", func(t *testing.T) {
		s, c := pair(t)
		c.Close()
		eventually(t, s, true)
	})
	t.Run("reset by the client", func(t *testing.T) {
		s, c := pair(t)
		_ = c.SetLinger(0)
		c.Close()
		eventually(t, s, true)
	})
	t.Run("closed after a read deadline passed", func(t *testing.T) {
		s, c := pair(t)
		_ = s.SetReadDeadline(time.Now().Add(-time.Second))
		c.Close()
		eventually(t, s, true)
	})
	t.Run("bytes waiting", func(t *testing.T) {
		s, c := pair(t)
		if _, err := c.Write([]byte("POST body")); err != nil {
			t.Fatal(err)
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
		if Gone(s) {
			t.Fatal("a connection with unread bytes reported gone: they may be a body the handler has yet to read")
		}
	})
	t.Run("closed here", func(t *testing.T) {
		s, _ := pair(t)
		s.Close()
		if !Gone(s) {
			t.Fatal("a connection closed on this side did not report gone")
		}
	})
	t.Run("not a socket", func(t *testing.T) {
		a, b := net.Pipe()
		b.Close()
		if Gone(a) {
			t.Fatal("a pipe reported gone: nothing can be known of it")
		}
	})
}
