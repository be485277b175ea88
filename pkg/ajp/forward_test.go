package ajp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// Packets captured between mod_jk 1.2.48 and Tomcat 10.1.60 (reference/capture/ajp-decoded.txt).
const (
	captureGetInfo        = "1234014002020008485454502f312e3100000d2f6170702f696e666f2e6a73700000093132372e302e302e3100ffff00093132372e302e302e31004650000006a00b000f3132372e302e302e313a313830303000a00e000b6375726c2f372e38382e3100a00100032a2f2a00a00900334a53455353494f4e49443d34444543414537343131303538334336384339344531323444414439424238382e746f6d63617432000006582d5465737400000361626300a008000130000c001a706565722d616a702d7365637265742d303132333435363738390005000a783d3126793d2532307a00060007746f6d63617432000a000f414a505f52454d4f54455f504f52540000053430363234000a000e414a505f4c4f43414c5f414444520000093132372e302e302e31000a00104a4b5f4c425f41435449564154494f4e00000341435400ff"
	capturePostEcho       = "1234012e02040008485454502f312e3100000d2f6170702f6563686f2e6a73700000093132372e302e302e3100ffff00093132372e302e302e31004650000006a00b000f3132372e302e302e313a313830303000a00e000b6375726c2f372e38382e3100a00100032a2f2a00a00900174a53455353494f4e49443d414141412e746f6d6361743100a00700216170706c69636174696f6e2f782d7777772d666f726d2d75726c656e636f64656400a00800023131000c001a706565722d616a702d7365637265742d3031323334353637383900060007746f6d63617431000a000f414a505f52454d4f54455f504f52540000053430363332000a000e414a505f4c4f43414c5f414444520000093132372e302e302e31000a00104a4b5f4c425f41435449564154494f4e00000341435400ff"
	captureSendHeaders200 = "414200300400c80003323030000002a0010018746578742f706c61696e3b636861727365743d5554462d3800a003000337343300"
	peerSecret            = "peer-ajp-secret-0123456789"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// capturedRequest returns the fields every captured request shares with the given differences.
func capturedRequest(method, uri string, headers []Header, route string, remotePort string) ForwardRequest {
	return ForwardRequest{
		Method: method, Protocol: "HTTP/1.1", URI: uri, RemoteAddr: "127.0.0.1", ServerName: "127.0.0.1",
		ServerPort: 18000, Headers: headers, Secret: peerSecret, Route: route, SSLKeySize: -1,
		ReqAttributes: []Header{{AttrRemotePort, remotePort}, {AttrLocalAddr, "127.0.0.1"}, {AttrActivation, "ACT"}},
	}
}

func curlHeaders(extra ...Header) []Header {
	return append([]Header{{"host", "127.0.0.1:18000"}, {"user-agent", "curl/7.88.1"}, {"accept", "*/*"}}, extra...)
}

func TestForwardRequestCaptured(t *testing.T) {
	getInfo := capturedRequest("GET", "/app/info.jsp", curlHeaders(
		Header{"cookie", "JSESSIONID=4DECAE74110583C68C94E124DAD9BB88.tomcat2"},
		Header{"X-Test", "abc"}, Header{"content-length", "0"}), "tomcat2", "40624")
	getInfo.QueryString = "x=1&y=%20z"
	postEcho := capturedRequest("POST", "/app/echo.jsp", curlHeaders(
		Header{"cookie", "JSESSIONID=AAAA.tomcat1"},
		Header{"content-type", "application/x-www-form-urlencoded"}, Header{"content-length", "11"}), "tomcat1", "40632")

	for _, tc := range []struct {
		name string
		hex  string
		want ForwardRequest
	}{
		{"GET with query, cookie and custom header", captureGetInfo, getInfo},
		{"POST with Content-Length", capturePostEcho, postEcho},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkt := mustHex(t, tc.hex)
			got, err := ParseForwardRequest(pkt[HeaderSize:])
			if err != nil {
				t.Fatalf("decoding the capture: %v", err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("decoded\n got %+v\nwant %+v", *got, tc.want)
			}
			enc, err := tc.want.AppendPacket(nil, DefaultPacketSize)
			if err != nil {
				t.Fatalf("encoding: %v", err)
			}
			if !reflect.DeepEqual(enc, pkt) {
				t.Errorf("encoded\n got %x\nwant %x", enc, pkt)
			}
		})
	}
}

// The capture shows the decoded fields and packet length of requests whose hex it does not list:
// encoding the same fields must give the same length.
func TestForwardRequestCapturedLengths(t *testing.T) {
	chunked := capturedRequest("POST", "/app/echo.jsp", curlHeaders(
		Header{"cookie", "JSESSIONID=AAAA.tomcat1"}, Header{"Transfer-Encoding", "chunked"},
		Header{"content-type", "application/x-www-form-urlencoded"}), "tomcat1", "40636")
	big := capturedRequest("GET", "/app/big.jsp", curlHeaders(
		Header{"cookie", "JSESSIONID=AAAA.tomcat1"}, Header{"content-length", "0"}), "tomcat1", "40638")
	big.QueryString = "bytes=20000"
	purge := capturedRequest("PURGE", "/app/info.jsp", curlHeaders(
		Header{"cookie", "JSESSIONID=AAAA.tomcat1"}, Header{"content-length", "0"}), "tomcat1", "40644")
	jsession := capturedRequest("GET", "/app/info.jsp;jsessionid=ABC.tomcat1", curlHeaders(Header{"content-length", "0"}), "tomcat1", "34108")
	jsession.QueryString = "q=%41b"
	encoded := capturedRequest("GET", "/app/a%20b%25c.jsp", curlHeaders(Header{"content-length", "0"}), "tomcat1", "34120")

	for _, tc := range []struct {
		name    string
		req     ForwardRequest
		wantLen int
	}{
		{"chunked POST", chunked, 325},
		{"GET big.jsp", big, 277},
		{"PURGE stored method", purge, 272},
		{"jsessionid path parameter", jsession, 268},
		{"encoded path", encoded, 240},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := tc.req.AppendPacket(nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(enc) - HeaderSize; got != tc.wantLen {
				t.Errorf("payload length %d, the capture has %d", got, tc.wantLen)
			}
			back, err := ParseForwardRequest(enc[HeaderSize:])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*back, tc.req) {
				t.Errorf("round trip\n got %+v\nwant %+v", *back, tc.req)
			}
		})
	}
}

func TestForwardRequestEncoding(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  ForwardRequest
		hex  string
	}{{
		name: "minimal GET, null remote host, no attributes",
		req:  ForwardRequest{Method: "GET", Protocol: "HTTP/1.1", URI: "/", SSLKeySize: -1},
		hex: "1234 001f 02 02" + "0008 485454502f312e31 00" + "0001 2f 00" + "0000 00" + "ffff" + "0000 00" +
			"0000" + "00" + "0000" + "ff",
	}, {
		name: "stored method, header codes in any case, every attribute",
		req: ForwardRequest{
			Method: "PATCH", Protocol: "HTTP/1.1", URI: "/p", RemoteAddr: "1.2.3.4", RemoteHost: "h",
			ServerName: "s", ServerPort: 443, IsSSL: true,
			Headers:    []Header{{"Content-Type", "a/b"}, {"USER-AGENT", "u"}, {"X-A", ""}},
			RemoteUser: "ru", AuthType: "at", QueryString: "q=1", Route: "r", SSLCert: "c", SSLCipher: "ci",
			SSLSession: "ss", SSLKeySize: 256, Secret: "sec", ReqAttributes: []Header{{"JK_LB_ACTIVATION", "DIS"}},
		},
		hex: "1234 0097 02 ff" + "0008 485454502f312e31 00" + "0002 2f70 00" + "0007 312e322e332e34 00" +
			"0001 68 00" + "0001 73 00" + "01bb" + "01" + "0003" +
			"a007 0003 612f62 00" + "a00e 0001 75 00" + "0003 582d41 00 0000 00" +
			"0c 0003 736563 00" + "03 0002 7275 00" + "04 0002 6174 00" + "05 0003 713d31 00" + "06 0001 72 00" +
			"07 0001 63 00" + "08 0002 6369 00" + "09 0002 7373 00" + "0b 0100" + "0d 0005 5041544348 00" +
			"0a 0010 4a4b5f4c425f41435449564154494f4e 00 0003 444953 00" + "ff",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			want := mustHex(t, tc.hex)
			got, err := tc.req.AppendPacket([]byte("prefix"), 0)
			if err != nil {
				t.Fatal(err)
			}
			if string(got[:6]) != "prefix" || !reflect.DeepEqual(got[6:], want) {
				t.Fatalf("encoded\n got %x\nwant prefix+%x", got, want)
			}
			back, err := ParseForwardRequest(want[HeaderSize:])
			if err != nil {
				t.Fatal(err)
			}
			// Coded names come back in Tomcat's lower case.
			wantBack := tc.req
			wantBack.Headers = append([]Header(nil), tc.req.Headers...)
			for i, h := range wantBack.Headers {
				if _, ok := RequestHeaderCode(h.Name); ok {
					wantBack.Headers[i].Name = strings.ToLower(h.Name)
				}
			}
			if !reflect.DeepEqual(*back, wantBack) {
				t.Errorf("decoded\n got %+v\nwant %+v", *back, wantBack)
			}
		})
	}
}

func TestForwardRequestTooLarge(t *testing.T) {
	base := ForwardRequest{Method: "GET", Protocol: "HTTP/1.1", URI: "/", SSLKeySize: -1}
	fits := base
	fits.Headers = []Header{{"X-Big", ""}}
	// Grow the header value so the packet is exactly 8192 bytes, then one byte more.
	pkt, err := fits.AppendPacket(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	fits.Headers[0].Value = strings.Repeat("v", DefaultPacketSize-len(pkt))
	pkt, err = fits.AppendPacket(nil, 0)
	if err != nil || len(pkt) != DefaultPacketSize {
		t.Fatalf("a packet of exactly the packet size: len %d, err %v", len(pkt), err)
	}
	over := fits
	over.Headers = []Header{{"X-Big", fits.Headers[0].Value + "v"}}
	dst := []byte("keep")
	got, err := over.AppendPacket(dst, 0)
	if !errors.Is(err, ErrHeadersTooLarge) || !errors.Is(err, ErrRequestTooLarge) || errors.Is(err, ErrURITooLong) {
		t.Errorf("one byte over: err %v, want ErrHeadersTooLarge", err)
	}
	if string(got) != "keep" {
		t.Errorf("dst changed to %q", got)
	}
	longURI := base
	longURI.URI = "/" + strings.Repeat("a", DefaultPacketSize)
	longURI.Headers = []Header{{"Host", "h"}}
	if _, err := longURI.AppendPacket(nil, 0); !errors.Is(err, ErrURITooLong) {
		t.Errorf("long URI: err %v, want ErrURITooLong", err)
	}
	// A larger packet size takes the same request.
	if _, err := longURI.AppendPacket(nil, 2*DefaultPacketSize); err != nil {
		t.Errorf("with a 16 KiB packet size: %v", err)
	}
}

func TestParseForwardRequestErrors(t *testing.T) {
	good := mustHex(t, captureGetInfo)[HeaderSize:]
	stored := func() []byte {
		f := ForwardRequest{Method: "PURGE", Protocol: "HTTP/1.1", URI: "/", SSLKeySize: -1}
		b, _ := f.AppendPacket(nil, 0)
		return b[HeaderSize:]
	}()
	for _, tc := range []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"wrong type", append([]byte{byte(TypeSendHeaders)}, good[1:]...)},
		{"unknown method code", append([]byte{2, 28}, good[2:]...)},
		{"method code 0", append([]byte{2, 0}, good[2:]...)},
		{"truncated in the headers", good[:100]},
		{"no are_done", good[:len(good)-1]},
		{"string longer than the payload", []byte{2, 2, 0xff, 0x00}},
		{"unknown header code", replaceOnce(good, []byte{0xa0, 0x0b}, []byte{0xa0, 0x0f})},
		{"unknown attribute", replaceOnce(good, []byte{0x0c, 0x00, 0x1a}, []byte{0x0e, 0x00, 0x1a})},
		{"stored method without the attribute", replaceOnce(stored, []byte{0x0d, 0x00, 0x05}, []byte{0x01, 0x00, 0x05})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseForwardRequest(tc.payload); !errors.Is(err, ErrProtocol) {
				t.Errorf("err %v, want ErrProtocol", err)
			}
		})
	}
}

func replaceOnce(b, old, new []byte) []byte {
	s := string(b)
	if !strings.Contains(s, string(old)) {
		panic("test bytes not found")
	}
	return []byte(strings.Replace(s, string(old), string(new), 1))
}

func TestMethodTable(t *testing.T) {
	for code := byte(1); code <= 27; code++ {
		name, ok := MethodName(code)
		if !ok {
			t.Fatalf("code %d has no name", code)
		}
		if back, ok := MethodCode(name); !ok || back != code {
			t.Errorf("%s: code %d, %v; want %d", name, back, ok, code)
		}
	}
	for _, m := range []string{"PATCH", "PURGE", "get", "BASELINE_CONTROL", ""} {
		if _, ok := MethodCode(m); ok {
			t.Errorf("%q must be a stored method", m)
		}
	}
	if _, ok := MethodName(0); ok {
		t.Error("code 0 has a name")
	}
	if _, ok := MethodName(StoredMethod); ok {
		t.Error("StoredMethod has a name")
	}
	if n, _ := MethodName(26); n != "BASELINE-CONTROL" {
		t.Errorf("code 26 is %q", n)
	}
}

func TestHeaderCodeTables(t *testing.T) {
	for _, tc := range []struct {
		name string
		code uint16
	}{{"Accept", 0xA001}, {"CONTENT-LENGTH", 0xA008}, {"cookie", 0xA009}, {"Host", 0xA00B}, {"user-agent", 0xA00E}} {
		if c, ok := RequestHeaderCode(tc.name); !ok || c != tc.code {
			t.Errorf("request %s: 0x%04x %v, want 0x%04x", tc.name, c, ok, tc.code)
		}
	}
	for _, tc := range []struct {
		name string
		code uint16
	}{{"Content-Type", 0xA001}, {"set-cookie", 0xA007}, {"WWW-Authenticate", 0xA00B}} {
		if c, ok := ResponseHeaderCode(tc.name); !ok || c != tc.code {
			t.Errorf("response %s: 0x%04x %v, want 0x%04x", tc.name, c, ok, tc.code)
		}
	}
	if _, ok := RequestHeaderCode("X-Test"); ok {
		t.Error("X-Test has a code")
	}
	if _, ok := ResponseHeaderName(0xA00C); ok {
		t.Error("response code 0xA00C has a name")
	}
	if n, _ := RequestHeaderName(0xA00E); n != "user-agent" {
		t.Errorf("0xA00E is %q", n)
	}
}

// AJP_REMOTE_PORT is the port as a number would print: a server's RemoteAddr is used as it is
// (no allocation), anything else is formatted; a RequestInfo's port wins.
func TestRemotePortAttribute(t *testing.T) {
	for _, tc := range []struct {
		remoteAddr string
		infoPort   int
		want       string
	}{
		{"127.0.0.1:40624", 0, "40624"},
		{"127.0.0.1:40624", 40624, "40624"},
		{"[::1]:443", 0, "443"},
		{"127.0.0.1:0080", 0, "80"},
		{"127.0.0.1:+80", 0, "80"},
		{"127.0.0.1:40624", 5, "5"},
		{"127.0.0.1", 0, ""},
		{"", 7, "7"},
	} {
		req, _ := http.NewRequest("GET", "ajp://x/", nil)
		req.RemoteAddr = tc.remoteAddr
		var f ForwardRequest
		f.fill(req, &RequestInfo{RemotePort: tc.infoPort}, "", 0)
		got := ""
		for _, a := range f.ReqAttributes {
			if a.Name == AttrRemotePort {
				got = a.Value
			}
		}
		if got != tc.want {
			t.Errorf("RemoteAddr %q, info port %d: AJP_REMOTE_PORT %q, want %q", tc.remoteAddr, tc.infoPort, got, tc.want)
		}
	}
}

// A packet reader lets go of its read buffer only when nothing is buffered, and reads on once it
// took one again.
func TestPacketReaderDetach(t *testing.T) {
	var stream bytes.Buffer
	stream.Write(AppendCPong(nil))
	stream.Write(AppendCPong(nil))
	stream.Write(AppendCPong(nil)[:2]) // half a packet
	p := NewPacketReader(&stream, MagicFromContainer, 0)
	if _, err := p.Next(); err != nil {
		t.Fatal(err)
	}
	p.detach() // one whole packet and a half are buffered: the buffer stays
	if p.Buffered() != 7 {
		t.Fatalf("%d bytes buffered after a detach with bytes buffered, want 7", p.Buffered())
	}
	if _, err := p.Next(); err != nil {
		t.Fatal(err)
	}
	p.start += 2 // the half packet, dropped
	p.detach()
	if p.buf != nil || p.Buffered() != 0 {
		t.Fatal("an empty reader kept its buffer")
	}
	stream.Write(AppendCPong(nil))
	p.attach(&stream)
	if b, err := p.Next(); err != nil || len(b) != 1 || MessageType(b[0]) != TypeCPong {
		t.Fatalf("after attach: % x %v", b, err)
	}
}
