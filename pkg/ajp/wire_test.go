package ajp_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

// guarded returns a Transport for tests against scripts: if the Transport and a script ever wait
// for each other (a protocol mistake on either side), the reply timeout fails the test instead of
// hanging it.
func guarded() *ajp.Transport { return &ajp.Transport{ReplyTimeout: 10 * time.Second} }

// scriptErrors collects failures of backend scripts, which run in their own goroutines.
type scriptErrors chan error

func (e scriptErrors) check(t *testing.T) {
	t.Helper()
	for {
		select {
		case err := <-e:
			t.Error(err)
		default:
			return
		}
	}
}

func (e scriptErrors) fail(format string, args ...any) { e <- fmt.Errorf(format, args...) }

func header(f *ajp.ForwardRequest, name string) (string, bool) {
	for _, h := range f.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

func TestWireRequestWithoutBody(t *testing.T) {
	errs := make(scriptErrors, 10)
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for i := 0; ; i++ {
			f, raw, err := c.ReadRequest()
			if err != nil {
				// The next packet after a reply must be another request, never body data.
				if !errors.Is(err, io.EOF) {
					errs.fail("after request %d: %v", i, err)
				}
				return
			}
			if cl, ok := header(f, "content-length"); !ok || cl != "0" || f.Headers[len(f.Headers)-1].Name != "content-length" {
				errs.fail("request %d: content-length %q %v, want \"0\" last; headers %v", i, cl, ok, f.Headers)
			}
			if _, ok := header(f, "transfer-encoding"); ok {
				errs.fail("Transfer-Encoding sent without a body")
			}
			if f.Method == "PATCH" && (raw[1] != ajp.StoredMethod || !bytes.Contains(raw, []byte("\x0d\x00\x05PATCH\x00"))) {
				errs.fail("PATCH not sent as a stored method: % x", raw[:2])
			}
			if f.Secret != "s3cret" {
				errs.fail("secret %q", f.Secret)
			}
			c.Respond(200, "ok", true)
		}
	})
	tr := guarded()
	tr.Secret = "s3cret"
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		resp, err := tr.RoundTrip(newRequest(t, m, b.URL("/x"), nil))
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if b.Accepted() != 1 {
		t.Errorf("%d connections, want 1", b.Accepted())
	}
	tr.CloseIdleConnections() // the script then reads a clean end of stream
	if !b.Shutdown(10 * time.Second) {
		t.Error("the backend script did not see the connection close")
	}
	errs.check(t)
}

// The exact packet for a request with a RequestInfo, compared byte for byte.
func TestWireForwardRequestBytes(t *testing.T) {
	got := make(chan []byte, 1)
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		_, raw, err := c.ReadRequest()
		if err != nil {
			return
		}
		got <- raw
		c.Respond(200, "", true)
	})
	req := newRequest(t, "GET", b.URL("/app/info.jsp;jsessionid=A.t1?x=1&y=%20z"), nil)
	req.Header = http.Header{"Accept": {"*/*"}}
	req.Host = "127.0.0.1:18000"
	req = req.WithContext(ajp.WithRequestInfo(req.Context(), ajp.RequestInfo{
		RemoteAddr: "127.0.0.1", RemotePort: 40624, LocalAddr: "127.0.0.1", ServerName: "127.0.0.1", ServerPort: 18000,
		Route: "tomcat2", Activation: "ACT",
	}))
	tr := guarded()
	tr.Secret = "peer-ajp-secret-0123456789"
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := ajp.ForwardRequest{
		Method: "GET", Protocol: "HTTP/1.1", URI: "/app/info.jsp;jsessionid=A.t1", RemoteAddr: "127.0.0.1",
		ServerName: "127.0.0.1", ServerPort: 18000,
		Headers:     []ajp.Header{{Name: "host", Value: "127.0.0.1:18000"}, {Name: "Accept", Value: "*/*"}, {Name: "content-length", Value: "0"}},
		QueryString: "x=1&y=%20z", Route: "tomcat2", SSLKeySize: -1, Secret: "peer-ajp-secret-0123456789",
		ReqAttributes: []ajp.Header{{Name: "AJP_REMOTE_PORT", Value: "40624"}, {Name: "AJP_LOCAL_ADDR", Value: "127.0.0.1"}, {Name: "JK_LB_ACTIVATION", Value: "ACT"}},
	}
	wantPkt, err := want.AppendPacket(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if raw := <-got; !bytes.Equal(raw, wantPkt[ajp.HeaderSize:]) {
		f, _ := ajp.ParseForwardRequest(raw)
		t.Errorf("sent\n %x\nwant\n %x\ndecoded %+v", raw, wantPkt[ajp.HeaderSize:], f)
	}
}

// A known length: FORWARD_REQUEST and the first body packet arrive before the backend says a word,
// then each GET_BODY_CHUNK gets min(requested, 8186, left) bytes, then the empty packet.
func TestWireBodyWithLength(t *testing.T) {
	errs := make(scriptErrors, 10)
	data := payload(20000)
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		f, _, err := c.ReadRequest()
		if err != nil {
			errs.fail("reading the request: %v", err)
			return
		}
		if cl, _ := header(f, "content-length"); cl != "20000" {
			errs.fail("content-length %q", cl)
		}
		var got []byte
		expect := func(want int) {
			p, err := c.ReadPacket()
			if err != nil {
				errs.fail("reading body packet: %v", err)
				return
			}
			if want == 0 && len(p) != 0 {
				errs.fail("end-of-body packet payload % x, want none (12 34 00 00)", p)
			}
			chunk, _ := ajp.ParseRequestBody(p)
			if len(chunk) != want {
				errs.fail("body packet of %d bytes, want %d", len(chunk), want)
			}
			got = append(got, chunk...)
		}
		expect(8186) // unprompted
		c.Send(ajp.AppendGetBodyChunk(nil, 100))
		expect(100)
		c.Send(ajp.AppendGetBodyChunk(nil, 8186))
		expect(8186)
		c.Send(ajp.AppendGetBodyChunk(nil, 60000)) // more than a packet holds
		expect(20000 - 8186 - 100 - 8186)
		c.Send(ajp.AppendGetBodyChunk(nil, 8186))
		expect(0)
		if !bytes.Equal(got, data) {
			errs.fail("body differs")
		}
		c.Respond(200, "ok", true)
	})
	resp, err := guarded().RoundTrip(newRequest(t, "POST", b.URL("/echo"), bytes.NewReader(data)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	b.Close()
	errs.check(t)
}

// An unknown length: no content-length, Transfer-Encoding: chunked as mod_jk forwards it, no
// unprompted packet, data only on GET_BODY_CHUNK. The next packet after the reply must be the next
// request, which proves no packet came unasked.
func TestWireBodyUnknownLength(t *testing.T) {
	errs := make(scriptErrors, 10)
	data := payload(20000)
	b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for n := 0; ; n++ {
			f, _, err := c.ReadRequest()
			if err != nil {
				if n < 2 || !errors.Is(err, io.EOF) {
					errs.fail("request %d: %v", n, err)
				}
				return
			}
			if _, ok := header(f, "content-length"); ok && f.Method == "POST" {
				errs.fail("content-length sent for a body of unknown length")
			}
			if te, _ := header(f, "transfer-encoding"); f.Method == "POST" && te != "chunked" {
				errs.fail("Transfer-Encoding %q, want chunked", te)
			}
			var got []byte
			for f.Method == "POST" {
				c.Send(ajp.AppendGetBodyChunk(nil, 8186))
				p, err := c.ReadPacket()
				if err != nil {
					errs.fail("reading body: %v", err)
					return
				}
				chunk, _ := ajp.ParseRequestBody(p)
				if len(chunk) == 0 {
					break
				}
				got = append(got, chunk...)
			}
			if f.Method == "POST" && !bytes.Equal(got, data) {
				errs.fail("body of %d bytes differs", len(got))
			}
			c.Respond(200, "ok", true)
		}
	})
	tr := guarded()
	req := newRequest(t, "POST", b.URL("/echo"), io.NopCloser(bytes.NewReader(data)))
	req.ContentLength = -1
	for _, r := range []*http.Request{req, newRequest(t, "GET", b.URL("/next"), nil)} {
		resp, err := tr.RoundTrip(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	tr.CloseIdleConnections()
	if !b.Shutdown(10 * time.Second) {
		t.Error("the backend script did not see the connection close")
	}
	errs.check(t)
}

// A backend that answers without reading the body is fine; the connection stays usable.
func TestWireBodyNotRead(t *testing.T) {
	b := ajptest.NewBackend(t, ajptest.Serve("unread"))
	tr := guarded()
	for range 3 {
		req := newRequest(t, "POST", b.URL("/ignore"), bytes.NewReader(payload(50000)))
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "unread" {
			t.Fatalf("body %q", body)
		}
	}
	if b.Accepted() != 1 {
		t.Errorf("%d connections, want 1", b.Accepted())
	}
}

func TestWireRequestTooLarge(t *testing.T) {
	b := ajptest.NewBackend(t, ajptest.Serve("ok"))
	tr := &ajp.Transport{}
	req := newRequest(t, "GET", b.URL("/"), nil)
	req.Header.Set("Cookie", strings.Repeat("c", 9000))
	_, err := tr.RoundTrip(req)
	if !errors.Is(err, ajp.ErrHeadersTooLarge) || !errors.Is(err, ajp.ErrRequestTooLarge) || ajp.IsRetryable(err) {
		t.Errorf("big cookie: err %v (retryable %v), want ErrHeadersTooLarge", err, ajp.IsRetryable(err))
	}
	_, err = tr.RoundTrip(newRequest(t, "GET", b.URL("/"+strings.Repeat("p", 9000)), nil))
	if !errors.Is(err, ajp.ErrURITooLong) || ajp.IsRetryable(err) {
		t.Errorf("long path: err %v, want ErrURITooLong", err)
	}
	if b.Accepted() != 0 {
		t.Errorf("the backend saw %d connections; nothing may be sent", b.Accepted())
	}
	big := &ajp.Transport{PacketSize: 16384}
	resp, err := big.RoundTrip(req)
	if err != nil {
		t.Fatalf("with a 16 KiB packet size: %v", err)
	}
	resp.Body.Close()
}
