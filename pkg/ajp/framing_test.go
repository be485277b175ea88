package ajp_test

import (
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

// packet frames a container→server payload, given in hex, as one AJP packet.
func packet(payload string) []byte {
	p := h(payload)
	return append([]byte{0x41, 0x42, byte(len(p) >> 8), byte(len(p))}, p...)
}

// sendHeaders200 is the start of a SEND_HEADERS payload: status 200, reason "200"; the header
// count and headers follow.
const sendHeaders200 = "04 00c8 0003 323030 00 "

// Headers that would let the gateway and its client disagree about where the body ends, or that
// the gateway's HTTP server could not write safely, are a protocol error (502): the caller never
// sees them. Bytes past the Content-Length are never relayed.
func TestHostileResponseFraming(t *testing.T) { eachVia(t, testHostileResponseFraming) }

func testHostileResponseFraming(t *testing.T, via func(*ajp.Transport) http.RoundTripper) {
	for _, tc := range []struct {
		name    string
		reply   [][]byte
		wantMsg string // "" for a reply that must be accepted
		header  string // for an accepted reply: this header must come through as sent...
		value   string // ...with this value ("": not at all)
		relayed int    // for a reply whose body fails: the bytes read before the error
		atRead  bool
	}{
		// Content-Length: exactly one, 1*DIGIT.
		{name: "two differing Content-Length", reply: [][]byte{packet(sendHeaders200 + "0002 a003 0001 35 00 a003 0001 36 00")}, wantMsg: "2 Content-Length headers"},
		{name: "two equal Content-Length", reply: [][]byte{packet(sendHeaders200 + "0002 a003 0001 35 00 a003 0001 35 00")}, wantMsg: "2 Content-Length headers"},
		{name: "Content-Length coded and as a string", reply: [][]byte{packet(sendHeaders200 + "0002 a003 0001 35 00 000e 636f6e74656e742d6c656e677468 00 0001 35 00")}, wantMsg: "2 Content-Length headers"},
		{name: "Content-Length +5", reply: [][]byte{packet(sendHeaders200 + "0001 a003 0002 2b35 00")}, wantMsg: `Content-Length "+5"`},
		{name: "Content-Length -1", reply: [][]byte{packet(sendHeaders200 + "0001 a003 0002 2d31 00")}, wantMsg: `Content-Length "-1"`},
		{name: "Content-Length with a leading space", reply: [][]byte{packet(sendHeaders200 + "0001 a003 0002 2035 00")}, wantMsg: `Content-Length " 5"`},
		{name: "Content-Length with a trailing space", reply: [][]byte{packet(sendHeaders200 + "0001 a003 0002 3520 00")}, wantMsg: `Content-Length "5 "`},
		{name: "Content-Length in hex", reply: [][]byte{packet(sendHeaders200 + "0001 a003 0003 307835 00")}, wantMsg: `Content-Length "0x5"`},
		{name: "Content-Length as a list", reply: [][]byte{packet(sendHeaders200 + "0001 a003 0004 352c2035 00")}, wantMsg: `Content-Length "5, 5"`},
		{name: "empty Content-Length", reply: [][]byte{packet(sendHeaders200 + "0001 a003 0000 00")}, wantMsg: `Content-Length ""`},
		{name: "Content-Length beyond int64", reply: [][]byte{packet(sendHeaders200 + "0001 a003 0014 3939393939393939393939393939393939393939 00")}, wantMsg: "Content-Length"},
		{name: "Content-Length and Transfer-Encoding", reply: [][]byte{packet(sendHeaders200 + "0002 a003 0001 35 00 0011 5472616e736665722d456e636f64696e67 00 0007 6368756e6b6564 00")}, wantMsg: "Transfer-Encoding"},
		{name: "Transfer-Encoding and Content-Length", reply: [][]byte{packet(sendHeaders200 + "0002 0011 5472616e736665722d456e636f64696e67 00 0007 6368756e6b6564 00 a003 0001 35 00")}, wantMsg: "Transfer-Encoding"},

		// Header names: RFC 9110 tokens only.
		{name: "space in a name", reply: [][]byte{packet(sendHeaders200 + "0001 0003 582059 00 0001 76 00")}, wantMsg: "header name"},
		{name: "colon in a name", reply: [][]byte{packet(sendHeaders200 + "0001 0003 583a59 00 0001 76 00")}, wantMsg: "header name"},
		{name: "NUL in a name", reply: [][]byte{packet(sendHeaders200 + "0001 0002 5800 00 0001 76 00")}, wantMsg: "header name"},
		{name: "tab in a name", reply: [][]byte{packet(sendHeaders200 + "0001 0002 5809 00 0001 76 00")}, wantMsg: "header name"},
		{name: "non-ASCII name", reply: [][]byte{packet(sendHeaders200 + "0001 0002 c3a9 00 0001 76 00")}, wantMsg: "header name"},
		{name: "DEL in a name", reply: [][]byte{packet(sendHeaders200 + "0001 0002 587f 00 0001 76 00")}, wantMsg: "header name"},
		{name: "parenthesis in a name", reply: [][]byte{packet(sendHeaders200 + "0001 0003 285829 00 0001 76 00")}, wantMsg: "header name"},

		// Header values: no control character but HTAB (Tomcat itself writes none).
		{name: "NUL in a value", reply: [][]byte{packet(sendHeaders200 + "0001 0001 58 00 0003 610062 00")}, wantMsg: "control character"},
		{name: "CR in a value", reply: [][]byte{packet(sendHeaders200 + "0001 0001 58 00 0003 610d62 00")}, wantMsg: "control character"},
		{name: "LF in a value", reply: [][]byte{packet(sendHeaders200 + "0001 0001 58 00 0003 610a62 00")}, wantMsg: "control character"},
		{name: "a smuggled header line", reply: [][]byte{packet(sendHeaders200 + "0001 a001 0017 746578742f706c61696e0d0a5365742d436f6f6b69653a 00")}, wantMsg: "control character"},
		{name: "ESC in a value", reply: [][]byte{packet(sendHeaders200 + "0001 0001 58 00 0003 611b62 00")}, wantMsg: "control character"},
		{name: "DEL in a value", reply: [][]byte{packet(sendHeaders200 + "0001 0001 58 00 0003 617f62 00")}, wantMsg: "control character"},
		{name: "tab in a value is fine", reply: [][]byte{packet(sendHeaders200 + "0001 0001 58 00 0003 610962 00"), endReuse}, header: "X", value: "a\tb"},
		{name: "non-ASCII value is fine", reply: [][]byte{packet(sendHeaders200 + "0001 0001 58 00 0002 c3a9 00"), endReuse}, header: "X", value: "é"},
		{name: "Transfer-Encoding alone is dropped", reply: [][]byte{packet(sendHeaders200 + "0001 0011 5472616e736665722d456e636f64696e67 00 0004 677a6970 00"), endReuse}, header: "Transfer-Encoding", value: ""},
		{name: "Content-Length with leading zeros is a number", reply: [][]byte{packet(sendHeaders200 + "0001 a003 0002 3030 00"), endReuse}, header: "Content-Length", value: "00"},

		// Body bytes past the Content-Length: never relayed.
		{name: "one chunk longer than Content-Length", reply: [][]byte{packet(sendHeaders200 + "0001 a003 0001 33 00"), fiveBytes, endReuse}, wantMsg: "longer than", atRead: true, relayed: 0},
		{name: "a chunk after the whole body", reply: [][]byte{packet(sendHeaders200 + "0001 a003 0001 35 00"), fiveBytes, fiveBytes, endReuse}, wantMsg: "longer than", atRead: true, relayed: 5},
		{name: "body data on Content-Length 0", reply: [][]byte{packet(sendHeaders200 + "0001 a003 0001 30 00"), fiveBytes, endReuse}, wantMsg: "longer than", atRead: true, relayed: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
				if _, _, err := c.ReadRequest(); err == nil {
					c.Send(tc.reply...)
					c.ReadPacket() // until the client closes
				}
			})
			tr := &ajp.Transport{ReplyTimeout: 10 * time.Second}
			defer tr.CloseIdleConnections()
			resp, err := via(tr).RoundTrip(newRequest(t, "GET", b.URL("/"), nil))
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("a reply to accept: %v", err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				want := []string{tc.value}
				if tc.value == "" {
					want = nil
				}
				if got := resp.Header[tc.header]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %q, want %q", tc.header, got, tc.value)
				}
				return
			}
			relayed := 0
			if err == nil {
				if !tc.atRead {
					resp.Body.Close()
					t.Fatalf("status %d with headers %q reached the caller, want a protocol error", resp.StatusCode, resp.Header)
				}
				var n int64
				n, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				relayed = int(n)
			} else if tc.atRead {
				t.Fatalf("RoundTrip failed (%v), want the error from the body", err)
			}
			if !errors.Is(err, ajp.ErrProtocol) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err %v, want ErrProtocol saying %q", err, tc.wantMsg)
			}
			if relayed != tc.relayed {
				t.Errorf("%d body bytes relayed, want %d", relayed, tc.relayed)
			}
			if ajp.IsRetryable(err) || ajp.IsClientError(err) {
				t.Errorf("err %v: retryable %v, client error %v; want neither", err, ajp.IsRetryable(err), ajp.IsClientError(err))
			}
		})
	}
}

// A status line the caller may print never carries the backend's control characters: for a code
// without a standard text, the reason is the backend's only when it is clean.
func TestHostileReasonPhrase(t *testing.T) {
	for _, tc := range []struct{ reason, want string }{
		{"Custom", "299 Custom"},
		{"a\r\nX-Evil: 1", "299 status code 299"},
	} {
		b := ajptest.NewBackend(t, func(c *ajptest.Conn) {
			if _, _, err := c.ReadRequest(); err == nil {
				reply, _ := (&ajp.SendHeaders{Status: 299, Reason: tc.reason}).AppendPacket(nil, 0)
				c.Send(reply, endReuse)
			}
		})
		resp, err := (&ajp.Transport{}).RoundTrip(newRequest(t, "GET", b.URL("/"), nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Status != tc.want || resp.StatusCode != 299 {
			t.Errorf("reason %q: Status %q, want %q", tc.reason, resp.Status, tc.want)
		}
	}
}
