// Package ajptest provides a scripted AJP backend for tests: a loopback listener whose every
// accepted connection runs a script that reads the client's packets and answers with chosen bytes,
// well-formed or hostile.
package ajptest

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
)

// Backend is a scripted AJP backend listening on a random loopback port.
type Backend struct {
	// Addr is the "127.0.0.1:port" the backend listens on.
	Addr string

	l        net.Listener
	script   func(*Conn)
	accepted atomic.Int32
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

// Conn is one accepted connection, handed to the script.
type Conn struct {
	net.Conn
	// Index counts the backend's connections from 0, so a script can treat the first one differently.
	Index int
	pr    *ajp.PacketReader
}

// NewBackend starts a backend whose connections each run script, in their own goroutine; the
// connection is closed when script returns. Cleanup closes everything and waits for the scripts.
func NewBackend(t testing.TB, script func(*Conn)) *Backend {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for the scripted AJP backend: %v", err)
	}
	b := &Backend{Addr: l.Addr().String(), l: l, script: script}
	b.wg.Add(1)
	go b.accept()
	t.Cleanup(b.Close)
	return b
}

func (b *Backend) accept() {
	defer b.wg.Done()
	for {
		nc, err := b.l.Accept()
		if err != nil {
			return
		}
		n := int(b.accepted.Add(1)) - 1
		b.mu.Lock()
		b.conns = append(b.conns, nc)
		b.mu.Unlock()
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			defer nc.Close()
			b.script(&Conn{Conn: nc, Index: n, pr: ajp.NewPacketReader(nc, ajp.MagicToContainer, ajp.MaxPacketSize)})
		}()
	}
}

// Shutdown closes the listener and waits up to timeout for the running scripts to return on
// their own (the client closed its connections), then closes what is left. It reports whether the
// scripts ended by themselves.
func (b *Backend) Shutdown(timeout time.Duration) bool {
	_ = b.l.Close()
	done := make(chan struct{})
	go func() {
		b.wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		b.Close()
		return false
	}
}

// Close stops the backend: the listener and every connection close, and scripts are waited for.
func (b *Backend) Close() {
	_ = b.l.Close()
	b.mu.Lock()
	for _, c := range b.conns {
		_ = c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// Accepted returns how many connections the backend accepted so far.
func (b *Backend) Accepted() int { return int(b.accepted.Load()) }

// URL returns the ajp:// URL of path on this backend.
func (b *Backend) URL(path string) string { return "ajp://" + b.Addr + path }

// ReadPacket reads the client's next packet and returns its payload (a copy).
func (c *Conn) ReadPacket() ([]byte, error) {
	p, err := c.pr.Next()
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), p...), nil
}

// AnswerCPing reads one packet, which must be CPING, and answers CPONG.
func (c *Conn) AnswerCPing() error {
	p, err := c.pr.Next()
	if err != nil {
		return err
	}
	if len(p) != 1 || ajp.MessageType(p[0]) != ajp.TypeCPing {
		return fmt.Errorf("expected CPING, got % x", p)
	}
	_, err = c.Write(ajp.AppendCPong(nil))
	return err
}

// ReadRequest reads packets, answering any CPING, until a FORWARD_REQUEST, and decodes it. raw is
// the whole packet payload, for byte-level checks.
func (c *Conn) ReadRequest() (f *ajp.ForwardRequest, raw []byte, err error) {
	for {
		p, err := c.ReadPacket()
		if err != nil {
			return nil, nil, err
		}
		if len(p) == 1 && ajp.MessageType(p[0]) == ajp.TypeCPing {
			if _, err := c.Write(ajp.AppendCPong(nil)); err != nil {
				return nil, nil, err
			}
			continue
		}
		f, err = ajp.ParseForwardRequest(p)
		return f, p, err
	}
}

// Send writes raw bytes as they are.
func (c *Conn) Send(raw ...[]byte) error {
	for _, b := range raw {
		if _, err := c.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// Respond sends a well-formed reply: SEND_HEADERS, the body in one chunk (if any) and END_RESPONSE.
func (c *Conn) Respond(status int, body string, reuse bool) error {
	h := ajp.SendHeaders{Status: status, Reason: strconv.Itoa(status), Headers: []ajp.Header{
		{Name: "Content-Length", Value: strconv.Itoa(len(body))},
	}}
	b, err := h.AppendPacket(nil, ajp.DefaultPacketSize)
	if err != nil {
		return err
	}
	if body != "" {
		b = ajp.AppendBodyChunk(b, []byte(body))
	}
	return c.Send(ajp.AppendEndResponse(b, reuse))
}

// Serve answers CPINGs and requests with Respond(200, body, true) until the client closes. It is
// a script for a well-behaved backend.
func Serve(body string) func(*Conn) {
	return func(c *Conn) {
		for {
			f, _, err := c.ReadRequest()
			if err != nil {
				return
			}
			if err := c.SkipBody(f); err != nil {
				return
			}
			if c.Respond(200, body, true) != nil {
				return
			}
		}
	}
}

// SkipBody reads the unprompted first body packet a request with a Content-Length carries.
func (c *Conn) SkipBody(f *ajp.ForwardRequest) error {
	for _, h := range f.Headers {
		if h.Name == "content-length" && h.Value != "0" {
			_, err := c.ReadPacket()
			return err
		}
	}
	return nil
}
