package ajp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// Seeds: the captured packets and one of every message.
func fuzzSeedPackets(f *testing.F) [][]byte {
	f.Helper()
	fwd, _ := (&ForwardRequest{Method: "PATCH", Protocol: "HTTP/1.1", URI: "/", SSLKeySize: 128,
		Headers: []Header{{"X-A", "b"}}, SSLCert: "c", ReqAttributes: []Header{{"A", "b"}}}).AppendPacket(nil, 0)
	return [][]byte{
		mustHex(f, captureGetInfo), mustHex(f, capturePostEcho), mustHex(f, captureSendHeaders200), fwd,
		AppendCPing(nil), AppendCPong(nil), AppendEndResponse(nil, true), AppendGetBodyChunk(nil, 8186),
		AppendBodyChunk(nil, []byte("hello")), AppendBodyChunk(nil, nil), AppendRequestBody(nil, []byte("data")),
		AppendRequestBody(nil, nil),
	}
}

func FuzzPacketReader(f *testing.F) {
	var all []byte
	for _, p := range fuzzSeedPackets(f) {
		f.Add(p, uint16(MagicToContainer))
		all = append(all, p...)
	}
	f.Add(all, uint16(MagicFromContainer))
	f.Add([]byte{0x41, 0x42, 0xff, 0xff}, uint16(MagicFromContainer))
	f.Fuzz(func(t *testing.T, stream []byte, magic uint16) {
		r := NewPacketReader(bytes.NewReader(stream), magic, DefaultPacketSize)
		consumed := 0
		for {
			p, err := r.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrProtocol) {
					t.Fatalf("error %v wraps neither io.EOF nor ErrProtocol", err)
				}
				return
			}
			if len(p) > DefaultPacketSize-HeaderSize {
				t.Fatalf("payload of %d bytes exceeds the packet size", len(p))
			}
			if got := stream[consumed+HeaderSize : consumed+HeaderSize+len(p)]; !bytes.Equal(got, p) {
				t.Fatal("payload is not the bytes after the header")
			}
			consumed += HeaderSize + len(p)
		}
	})
}

// A decoded request encodes to a packet that decodes to the same request.
func FuzzParseForwardRequest(f *testing.F) {
	for _, p := range fuzzSeedPackets(f) {
		f.Add(p[HeaderSize:])
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		fr, err := ParseForwardRequest(payload)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("error %v does not wrap ErrProtocol", err)
			}
			return
		}
		enc, err := fr.AppendPacket(nil, MaxPacketSize)
		if err != nil {
			return // null strings re-encode one byte longer: a packet at the limit may not fit
		}
		back, err := ParseForwardRequest(enc[HeaderSize:])
		if err != nil {
			t.Fatalf("re-decoding %x: %v", enc, err)
		}
		// String names that match a code come back coded, in lower case.
		for i, h := range fr.Headers {
			if _, ok := RequestHeaderCode(h.Name); ok {
				fr.Headers[i].Name = strings.ToLower(h.Name)
			}
		}
		if !reflect.DeepEqual(fr, back) {
			t.Fatalf("round trip changed the request\n got %+v\nwant %+v", back, fr)
		}
	})
}

func FuzzParseSendHeaders(f *testing.F) {
	for _, p := range fuzzSeedPackets(f) {
		f.Add(p[HeaderSize:])
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		sh, err := ParseSendHeaders(payload)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("error %v does not wrap ErrProtocol", err)
			}
			return
		}
		enc, err := sh.AppendPacket(nil, MaxPacketSize)
		if err != nil {
			return
		}
		back, err := ParseSendHeaders(enc[HeaderSize:])
		if err != nil || back.Status != sh.Status || back.Reason != sh.Reason || len(back.Headers) != len(sh.Headers) {
			t.Fatalf("round trip: %+v, %v; want %+v", back, err, sh)
		}
	})
}

// The small decoders: body chunks both ways, END_RESPONSE and GET_BODY_CHUNK.
func FuzzParseBodyChunk(f *testing.F) {
	for _, p := range fuzzSeedPackets(f) {
		f.Add(p[HeaderSize:])
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		if data, err := ParseBodyChunk(payload); err == nil {
			if len(data) > len(payload)-3 || !bytes.Equal(AppendBodyChunk(nil, data)[HeaderSize+3:HeaderSize+3+len(data)], data) {
				t.Fatalf("body chunk of %d bytes from a %d-byte payload", len(data), len(payload))
			}
		} else if !errors.Is(err, ErrProtocol) {
			t.Fatal(err)
		}
		if data, err := ParseRequestBody(payload); err == nil {
			if len(data) > 0 && !bytes.Equal(AppendRequestBody(nil, data)[HeaderSize+2:], data) {
				t.Fatal("request body does not round-trip")
			}
		} else if !errors.Is(err, ErrProtocol) {
			t.Fatal(err)
		}
		if _, err := ParseEndResponse(payload); err != nil && !errors.Is(err, ErrProtocol) {
			t.Fatal(err)
		}
		if n, err := ParseGetBodyChunk(payload); err == nil && (n < 0 || n > 0xFFFF) {
			t.Fatalf("GET_BODY_CHUNK of %d", n)
		} else if err != nil && !errors.Is(err, ErrProtocol) {
			t.Fatal(err)
		}
	})
}

// scriptedConn is a net.Conn whose reads return fixed bytes and whose writes vanish: the fuzzed
// side sees exactly the bytes it is given, without timing.
type scriptedConn struct {
	r      *bytes.Reader
	once   sync.Once
	closed chan struct{} // closed by Close, when set
}

func (c *scriptedConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *scriptedConn) Write(p []byte) (int, error) { return len(p), nil }
func (c *scriptedConn) Close() error {
	if c.closed != nil {
		c.once.Do(func() { close(c.closed) })
	}
	return nil
}
func (c *scriptedConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *scriptedConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *scriptedConn) SetDeadline(t time.Time) error      { return nil }
func (c *scriptedConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *scriptedConn) SetWriteDeadline(t time.Time) error { return nil }

// The Transport's reply loop fed arbitrary backend bytes (after a valid CPONG): it must end with a
// response or an error, never panic or hang, and a body must end.
func FuzzClientResponse(f *testing.F) {
	f.Add(append(append(mustHex(f, captureSendHeaders200), AppendBodyChunk(nil, make([]byte, 743))...), AppendEndResponse(nil, true)...), false)
	f.Add(append(append(AppendGetBodyChunk(nil, 8186), mustHex(f, captureSendHeaders200)...), AppendEndResponse(nil, false)...), true)
	f.Add(mustHex(f, "4142 000b 04 00c8 0003 323030 00 0000 4142 0004 03 0000 00 4142 0006 03 0002 6869 00 4142 0002 05 01"), false)
	f.Add([]byte{0x41, 0x42, 0xff, 0xff}, true)
	f.Add(mustHex(f, "4142 0018 04 00c8 0003 323030 00 0002 a003 0001 35 00 a003 0001 36 00 4142 0002 05 01"), false)
	f.Add(mustHex(f, "4142 0022 04 00c8 0003 323030 00 0002 a003 0001 35 00 0011 5472616e736665722d456e636f64696e67 00 0001 78 00"), false)
	f.Fuzz(func(t *testing.T, reply []byte, withBody bool) {
		tr := &Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
			return &scriptedConn{r: bytes.NewReader(append(AppendCPong(nil), reply...))}, nil
		}}
		var body io.Reader
		if withBody {
			body = strings.NewReader(strings.Repeat("b", 9000))
		}
		req, _ := http.NewRequest("POST", "ajp://backend:8009/", body)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			return
		}
		if resp.StatusCode < 100 || resp.StatusCode > 999 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		checkRelayableHeader(t, resp.Header)
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.ContentLength >= 0 && resp.Body != http.NoBody && n > resp.ContentLength {
			t.Fatalf("read %d bytes of a %d-byte body", n, resp.ContentLength)
		}
	})
}

// checkRelayableHeader fails t unless a gateway can write h to its client as it is: RFC 9110 token
// names, values without control characters but HTAB, and one unambiguous framing (at most one
// all-digit Content-Length, no Transfer-Encoding). It does not use the package's own checks.
func checkRelayableHeader(t *testing.T, h http.Header) {
	t.Helper()
	for name, values := range h {
		for i := 0; i < len(name); i++ {
			if c := name[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
				t.Fatalf("header name %q is not a token", name)
			}
		}
		for _, v := range values {
			for i := 0; i < len(v); i++ {
				if c := v[i]; c < ' ' && c != '\t' || c == 0x7F {
					t.Fatalf("header %s value %q holds a control character", name, v)
				}
			}
		}
	}
	if cl := h["Content-Length"]; len(cl) > 1 || len(cl) == 1 && (cl[0] == "" || strings.Trim(cl[0], "0123456789") != "") {
		t.Fatalf("Content-Length %q", cl)
	}
	if te, ok := h["Transfer-Encoding"]; ok {
		t.Fatalf("Transfer-Encoding %q reached the caller", te)
	}
}

// oneConnListener hands out one connection, then blocks until closed.
type oneConnListener struct {
	conn   net.Conn
	once   sync.Once
	closed chan struct{}
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	var c net.Conn
	l.once.Do(func() { c = l.conn })
	if c != nil {
		return c, nil
	}
	<-l.closed
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error {
	select {
	case <-l.closed:
	default:
		close(l.closed)
	}
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return &net.TCPAddr{} }

// The Server's connection loop fed arbitrary web-server bytes: it must answer or close, never panic.
func FuzzServerConn(f *testing.F) {
	for _, p := range fuzzSeedPackets(f) {
		f.Add(p)
	}
	f.Add(append(mustHex(f, capturePostEcho), AppendRequestBody(nil, []byte("hello world"))...))
	f.Fuzz(func(t *testing.T, stream []byte) {
		srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Write(b)
			w.(http.Flusher).Flush()
		}), Logger: quietLogger}
		conn := &scriptedConn{r: bytes.NewReader(stream), closed: make(chan struct{})}
		l := &oneConnListener{conn: conn, closed: make(chan struct{})}
		done := make(chan struct{})
		go func() { srv.Serve(l); close(done) }()
		<-conn.closed // the server reached the end of the stream, or gave up on it
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		<-done
	})
}
