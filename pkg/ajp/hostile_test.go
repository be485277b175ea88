package ajp_test

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

var (
	okHeaders = h("4142 0012 04 00c8 0003 323030 00 0001 a003 0002 3130 00") // 200, Content-Length: 10
	unkHeader = h("4142 000b 04 00c8 0003 323030 00 0000")                   // 200, no length
	fiveBytes = h("4142 0009 03 0005 68656c6c6f 00")                         // "hello"
	endReuse  = h("4142 0002 05 01")
)

// A hostile backend answers the request with raw bytes and then closes or hangs. Each case must end
// in an error, at RoundTrip or at Read (Forward: before or after WriteStatus), with the right
// retryability, and never panic or hang.
func TestHostileBackends(t *testing.T) { eachVia(t, testHostileBackends) }

func testHostileBackends(t *testing.T, via func(*ajp.Transport) http.RoundTripper) {
	for _, tc := range []struct {
		name      string
		reply     [][]byte
		hang      bool   // keep the connection open after the reply
		atRead    bool   // the error comes from reading the body, not from RoundTrip
		wantErr   error  // errors.Is target, nil: any error
		wantMsg   string // a part of the message, when the reason matters
		retryable bool
	}{
		{name: "close before any reply", retryable: true},
		{name: "wrong magic", reply: [][]byte{h("1234 0001 09")}, wantErr: ajp.ErrProtocol, wantMsg: "wrong magic"},
		{name: "HTTP instead of AJP", reply: [][]byte{[]byte("HTTP/1.1 200 OK\r\n\r\n")}, wantErr: ajp.ErrProtocol},
		{name: "oversize length", reply: [][]byte{h("4142 ffff 04")}, wantErr: ajp.ErrProtocol, wantMsg: "exceeds the packet size"},
		{name: "one byte over the packet size", reply: [][]byte{h("4142 1ffd 04")}, wantErr: ajp.ErrProtocol, wantMsg: "exceeds the packet size"},
		{name: "unknown type", reply: [][]byte{h("4142 0001 0b")}, wantErr: ajp.ErrProtocol, wantMsg: "unexpected type 11"},
		{name: "CPONG instead of a reply", reply: [][]byte{h("4142 0001 09")}, wantErr: ajp.ErrProtocol},
		{name: "empty packet", reply: [][]byte{h("4142 0000")}, wantErr: ajp.ErrProtocol},
		{name: "truncated header", reply: [][]byte{h("4142 00")}, wantErr: ajp.ErrProtocol},
		{name: "truncated packet", reply: [][]byte{h("4142 0030 04 00c8")}, wantErr: ajp.ErrProtocol, wantMsg: "truncated"},
		{name: "truncated SEND_HEADERS fields", reply: [][]byte{h("4142 0005 04 00c8 0003")}, wantErr: ajp.ErrProtocol},
		{name: "unknown response header code", reply: [][]byte{h("4142 000d 04 00c8 0000 00 0001 a00c 0000 00")}, wantErr: ajp.ErrProtocol, wantMsg: "unknown response header code"},
		{name: "lying header count", reply: [][]byte{h("4142 000b 04 00c8 0003 323030 00 ffff")}, wantErr: ajp.ErrProtocol, wantMsg: "header name truncated"},
		{name: "bad Content-Length", reply: [][]byte{h("4142 000f 04 00c8 0000 00 0001 a003 0002 2d31 00")}, wantErr: ajp.ErrProtocol, wantMsg: "Content-Length \"-1\""},
		{name: "line break in a header name", reply: [][]byte{h("4142 0014 04 00c8 0000 00 0001 0005 410d0a4201 00 0001 76 00")}, wantErr: ajp.ErrProtocol, wantMsg: "header name"},
		{name: "empty header name", reply: [][]byte{h("4142 000f 04 00c8 0000 00 0001 0000 00 0001 76 00")}, wantErr: ajp.ErrProtocol, wantMsg: "header name"},
		{name: "line break in a header value", reply: [][]byte{h("4142 0011 04 00c8 0000 00 0001 a001 0004 610a6263 00")}, wantErr: ajp.ErrProtocol, wantMsg: "control character"},
		{name: "status 0", reply: [][]byte{h("4142 0008 04 0000 0000 00 0000")}, wantErr: ajp.ErrProtocol, wantMsg: "status 0"},
		{name: "END_RESPONSE before headers", reply: [][]byte{endReuse}, wantErr: ajp.ErrProtocol},
		{name: "body data before headers", reply: [][]byte{fiveBytes}, wantErr: ajp.ErrProtocol, wantMsg: "before SEND_HEADERS"},
		{name: "malformed GET_BODY_CHUNK", reply: [][]byte{h("4142 0002 06 00")}, wantErr: ajp.ErrProtocol},
		{name: "second SEND_HEADERS", reply: [][]byte{unkHeader, fiveBytes, unkHeader}, atRead: true, wantErr: ajp.ErrProtocol, wantMsg: "second SEND_HEADERS"},
		{name: "chunk length beyond its packet", reply: [][]byte{unkHeader, h("4142 0005 03 0010 41 00")}, atRead: true, wantErr: ajp.ErrProtocol},
		{name: "body longer than Content-Length", reply: [][]byte{okHeaders, fiveBytes, fiveBytes, fiveBytes}, atRead: true, wantErr: ajp.ErrProtocol, wantMsg: "longer than"},
		{name: "body shorter than Content-Length", reply: [][]byte{okHeaders, fiveBytes, endReuse}, atRead: true, wantErr: ajp.ErrProtocol, wantMsg: "shorter than"},
		{name: "malformed END_RESPONSE", reply: [][]byte{unkHeader, h("4142 0001 05")}, atRead: true, wantErr: ajp.ErrProtocol},
		{name: "truncated body chunk", reply: [][]byte{unkHeader, h("4142 0009 03 0005 6865")}, atRead: true, wantErr: ajp.ErrProtocol},
		{name: "close mid-body", reply: [][]byte{unkHeader, fiveBytes}, atRead: true},
		{name: "never answers", hang: true, wantErr: ajp.ErrReplyTimeout},
		{name: "stalls mid-body", reply: [][]byte{unkHeader, fiveBytes}, hang: true, atRead: true, wantErr: ajp.ErrReplyTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
				if _, _, err := c.ReadRequest(); err != nil {
					return
				}
				c.Send(tc.reply...)
				if tc.hang {
					<-release
				}
			})
			t.Cleanup(func() { close(release) })
			tr := &ajp.Transport{ReplyTimeout: 200 * time.Millisecond}
			errc := make(chan error, 1)
			var resp *http.Response
			go func() {
				r, err := via(tr).RoundTrip(newRequest(t, "GET", b.URL("/"), nil))
				if err == nil {
					resp = r
					_, err = io.ReadAll(r.Body)
					r.Body.Close()
					if err == nil {
						err = errors.New("no error")
					}
				}
				errc <- err
			}()
			var err error
			select {
			case err = <-errc:
			case <-time.After(20 * time.Second):
				t.Fatal("hung")
			}
			if (resp != nil) != tc.atRead {
				t.Errorf("got a response: %v; the error should come from %s", resp != nil, map[bool]string{true: "Read", false: "RoundTrip"}[tc.atRead])
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err %q does not say %q", err, tc.wantMsg)
			}
			if ajp.IsRetryable(err) != tc.retryable {
				t.Errorf("IsRetryable(%v) = %v, want %v", err, !tc.retryable, tc.retryable)
			}
			if ajp.IsUnsent(err) {
				t.Errorf("IsUnsent(%v) = true, but the backend read the request", err)
			}
			if b.Accepted() != 1 {
				t.Errorf("%d connections: a failed exchange on a new connection is not retried", b.Accepted())
			}
		})
	}
}

// A GET_BODY_CHUNK can come before the headers even for a request without a body.
func TestHostileGetBodyChunkAnytime(t *testing.T) {
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		if _, _, err := c.ReadRequest(); err != nil {
			return
		}
		for _, step := range [][]byte{ajp.AppendGetBodyChunk(nil, 8186), unkHeader, ajp.AppendGetBodyChunk(nil, 10), fiveBytes, h("4142 0004 03 0000 00")} {
			c.Send(step)
			if ajp.MessageType(step[4]) == ajp.TypeGetBodyChunk {
				if p, err := c.ReadPacket(); err != nil || len(p) != 0 {
					return // the answer must be the empty end packet
				}
			}
		}
		c.Send(ajp.AppendGetBodyChunk(nil, 1))
		if p, err := c.ReadPacket(); err != nil || len(p) != 0 {
			return
		}
		c.Send(endReuse)
	})
	resp, err := guarded().RoundTrip(newRequest(t, "GET", b.URL("/"), nil))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "hello" {
		t.Errorf("body %q %v", body, err)
	}
}

func TestHostileDialFailures(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	_, err = (&ajp.Transport{}).RoundTrip(newRequest(t, "GET", "ajp://"+addr+"/", nil))
	if err == nil || !ajp.IsRetryable(err) {
		t.Errorf("connection refused: %v (retryable %v)", err, ajp.IsRetryable(err))
	}

	silent := ajptest.NewBackend(t, func(c *ajptest.Conn) { c.ReadPacket(); c.ReadPacket() })
	_, err = (&ajp.Transport{PingTimeout: 50 * time.Millisecond}).RoundTrip(newRequest(t, "GET", silent.URL("/"), nil))
	if err == nil || !ajp.IsRetryable(err) {
		t.Errorf("no CPONG: %v (retryable %v)", err, ajp.IsRetryable(err))
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = (&ajp.Transport{}).RoundTrip(newRequest(t, "GET", silent.URL("/"), nil).WithContext(ctx))
	if !errors.Is(err, context.Canceled) || ajp.IsRetryable(err) {
		t.Errorf("cancelled context: %v (retryable %v)", err, ajp.IsRetryable(err))
	}
}

// Closing the body early closes the connection mid-exchange; the next request dials again.
func TestHostileEarlyClose(t *testing.T) {
	release := make(chan struct{})
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for {
			if _, _, err := c.ReadRequest(); err != nil {
				return
			}
			if c.Index == 0 {
				c.Send(unkHeader, fiveBytes) // and more would follow
				<-release
				return
			}
			c.Respond(200, "ok", true)
		}
	})
	defer close(release)
	tr := &ajp.Transport{}
	resp, err := tr.RoundTrip(newRequest(t, "GET", b.URL("/"), nil))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if n, err := resp.Body.Read(buf); n != 2 || err != nil {
		t.Fatalf("read %d %v", n, err)
	}
	resp.Body.Close()
	if _, err := resp.Body.Read(buf); err == nil {
		t.Error("Read after Close succeeded")
	}
	if body := get(t, tr, b.URL("/")); body != "ok" || b.Accepted() != 2 {
		t.Errorf("next request: %q on %d connections, want a new one", body, b.Accepted())
	}
}
