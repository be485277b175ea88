package ajp_test

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

// bodyReader is a backend that reads the whole request body, asking for it with GET_BODY_CHUNK, and
// reports how the body ended: "end after N bytes" (the empty end-of-body packet), or "cut after N
// bytes" (the connection closed under it).
func bodyReader(outcome chan<- string) func(*ajptest.Conn) {
	return func(c *ajptest.Conn) {
		f, _, err := c.ReadRequest()
		if err != nil {
			return // a connection that carried only its CPing
		}
		got := 0
		for _, h := range f.Headers {
			if h.Name == "content-length" && h.Value != "0" {
				p, err := c.ReadPacket() // the unprompted first packet
				if err != nil {
					outcome <- "cut after 0 bytes"
					return
				}
				got += len(p) - 2
			}
		}
		for {
			if err := c.Send(ajp.AppendGetBodyChunk(nil, 8186)); err != nil {
				outcome <- "cut after " + strconv.Itoa(got) + " bytes"
				return
			}
			p, err := c.ReadPacket()
			if err != nil {
				outcome <- "cut after " + strconv.Itoa(got) + " bytes"
				return
			}
			data, _ := ajp.ParseRequestBody(p)
			if len(data) == 0 {
				outcome <- "end after " + strconv.Itoa(got) + " bytes"
				c.Respond(200, "complete", true)
				return
			}
			got += len(data)
		}
	}
}

// A request body that ends before its Content-Length or fails to read is the client's fault: the
// error wraps ErrClientBody (and the body's own error), IsClientError is true, it is not
// retryable, and the backend never sees an end-of-body packet that would make a short body look
// complete: its connection is cut.
func TestClientBodyFailures(t *testing.T) {
	boom := errors.New("the client went away")
	for _, tc := range []struct {
		name        string
		body        io.ReadCloser
		length      int64
		cause       error
		wantOutcome string // "" when nothing but the CPing reached the backend
	}{
		{"ends inside the first packet", &failingBody{strings.NewReader(strings.Repeat("a", 1000)), io.ErrUnexpectedEOF}, 100000, io.ErrUnexpectedEOF, ""},
		{"ends cleanly but short of its length", io.NopCloser(strings.NewReader(strings.Repeat("a", 1000))), 100000, io.ErrUnexpectedEOF, ""},
		{"ends after GET_BODY_CHUNK", &failingBody{strings.NewReader(strings.Repeat("a", 20000)), io.ErrUnexpectedEOF}, 100000, io.ErrUnexpectedEOF, "cut after 16372 bytes"},
		{"read error in the first packet", &failingBody{strings.NewReader(""), boom}, 100000, boom, ""},
		{"chunked, fails after some bytes", &failingBody{strings.NewReader(strings.Repeat("a", 1000)), boom}, -1, boom, "cut after 1000 bytes"},
		{"chunked, cut mid-chunk", &failingBody{strings.NewReader(strings.Repeat("a", 1000)), io.ErrUnexpectedEOF}, -1, io.ErrUnexpectedEOF, "cut after 1000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outcome := make(chan string, 1)
			b := ajptest.NewBackend(t, bodyReader(outcome))
			req := newRequest(t, "POST", b.URL("/upload"), nil)
			req.Body, req.ContentLength = tc.body, tc.length
			tr := &ajp.Transport{}
			defer tr.CloseIdleConnections()
			resp, err := tr.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("status %d for a failed body, want an error", resp.StatusCode)
			}
			if !errors.Is(err, ajp.ErrClientBody) || !errors.Is(err, tc.cause) || !ajp.IsClientError(err) {
				t.Errorf("err %v: want ErrClientBody wrapping %v, IsClientError", err, tc.cause)
			}
			if ajp.IsRetryable(err) || errors.Is(err, ajp.ErrProtocol) {
				t.Errorf("err %v: retryable %v, protocol error %v; want neither", err, ajp.IsRetryable(err), errors.Is(err, ajp.ErrProtocol))
			}
			if tc.wantOutcome == "" {
				if !b.Shutdown(10 * time.Second) {
					t.Error("the client kept the connection open")
				}
				select {
				case got := <-outcome:
					t.Errorf("the backend saw a request (%s); want nothing sent", got)
				default:
				}
				return
			}
			select {
			case got := <-outcome:
				if got != tc.wantOutcome {
					t.Errorf("the backend's body %s, want %s", got, tc.wantOutcome)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the client kept the connection open after its body failed")
			}
		})
	}
}

// IsClientError tells the client's faults from the backend's.
func TestIsClientError(t *testing.T) {
	garbage := ajptest.NewBackend(t, func(c *ajptest.Conn) { c.ReadRequest(); c.Send([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) })
	hangUp := ajptest.NewBackend(t, func(c *ajptest.Conn) { c.ReadRequest() })
	bigHeaders := newRequest(t, "GET", garbage.URL("/"), nil)
	bigHeaders.Header.Set("Cookie", strings.Repeat("c", 9000))
	for _, tc := range []struct {
		name   string
		req    *http.Request
		client bool
	}{
		{"headers too large", bigHeaders, true},
		{"URI too long", newRequest(t, "GET", garbage.URL("/"+strings.Repeat("u", 9000)), nil), true},
		{"protocol error", newRequest(t, "GET", garbage.URL("/"), nil), false},
		{"backend hung up", newRequest(t, "GET", hangUp.URL("/"), nil), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := (&ajp.Transport{}).RoundTrip(tc.req)
			if err == nil || ajp.IsClientError(err) != tc.client {
				t.Errorf("IsClientError(%v) = %v, want %v", err, ajp.IsClientError(err), tc.client)
			}
		})
	}
	if ajp.IsClientError(nil) || !ajp.IsClientError(ajp.ErrURITooLong) {
		t.Error("IsClientError of nil is true or of ErrURITooLong false")
	}
}
