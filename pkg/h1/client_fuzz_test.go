package h1

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"testing"
)

// FuzzAnswer: whatever a backend sends, the client never panics, and an answer it relays
// keeps the promises the gateway relies on: a status from 100 to 999, fields that cannot end
// a line, one framing, never more body than a Content-Length announced, and none for HEAD,
// 204 and 304.
func FuzzAnswer(f *testing.F) {
	for _, seed := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x\r\nhello\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nuntil close",
		"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
		"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n",
	} {
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, head bool) {
		method := http.MethodGet
		if head {
			method = http.MethodHead
		}
		cc := &clientConn{br: bufio.NewReader(bytes.NewReader(in))}
		w := &recordingWriter{h: http.Header{}}
		ah, _, err := cc.readAnswerHead(w.h)
		if err != nil {
			return
		}
		if ah.status < 100 || ah.status > 999 {
			t.Fatalf("status %d accepted", ah.status)
		}
		if ah.chunked && ah.length >= 0 {
			t.Fatal("both framings accepted")
		}
		for k, vs := range w.h {
			for _, v := range vs {
				if !isToken(k) || !validFieldValue(v) {
					t.Fatalf("field %q: %q accepted", k, v)
				}
			}
		}
		if ah.status < 200 {
			return
		}
		out := &Outgoing{Req: &http.Request{Method: method, URL: &url.URL{Path: "/"}, Header: http.Header{}}}
		_, _, err = (&Client{}).relayFinal(cc, out, w, ah, false)
		if ah.length >= 0 && int64(w.body.Len()) > ah.length {
			t.Fatalf("%d body bytes relayed for Content-Length %d", w.body.Len(), ah.length)
		}
		if !hasBody(method, ah.status) && (w.body.Len() > 0 || err != nil) {
			t.Fatalf("an answer without a body (%s, %d) relayed %d bytes, %v", method, ah.status, w.body.Len(), err)
		}
	})
}
