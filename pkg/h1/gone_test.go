//go:build linux || darwin || freebsd || netbsd || openbsd

package h1

import (
	"net/http"
	"testing"
	"time"
)

// TestClientGone: a handler that makes its request wait sees the client leave, even past the
// read deadline of the request head, and does not while the client stays.
func TestClientGone(t *testing.T) {
	stayed, left := make(chan bool, 1), make(chan bool, 1)
	_, addr := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := w.(interface{ ClientGone() bool })
		if r.URL.Path == "/stay" {
			time.Sleep(100 * time.Millisecond)
			stayed <- g.ClientGone()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if g.ClientGone() {
				left <- true
				return
			}
		}
		left <- false
	}), func(s *Server) { s.ReadHeaderTimeout = 50 * time.Millisecond })

	c := dial(t, addr)
	c.send("GET /stay HTTP/1.1\r\nHost: x\r\n\r\n")
	if <-stayed {
		t.Error("ClientGone said true while the client waited for its answer")
	}
	if resp, _ := c.answer("GET"); resp.StatusCode != http.StatusNoContent {
		t.Errorf("status %d, want 204", resp.StatusCode)
	}
	c = dial(t, addr)
	c.send("GET /leave HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(150 * time.Millisecond) // past the head's read deadline
	c.nc.Close()
	if !<-left {
		t.Error("ClientGone never saw the client close its connection")
	}
}
