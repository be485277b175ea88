package ajp_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"

	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

// tomcatRandomBytes returns n reproducible pseudo-random bytes: every byte value occurs, unlike in text.
func tomcatRandomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{'t', 'o', 'm', 'c', 'a', 't'})
	_, _ = r.Read(b) // ChaCha8.Read never fails
	return b
}

// unsizedReader hides the length of its reader, so the request body has unknown length and travels as
// mod_jk sends a chunked one: no content-length, data only when Tomcat asks with GET_BODY_CHUNK.
type unsizedReader struct{ io.Reader }

// Request bodies around the packet boundaries (8186 is the largest data packet with packetSize 8192),
// with a Content-Length and without one; echo.jsp reports the length and SHA-256 it read.
func TestTomcatRequestBodies(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, w := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	for _, size := range []int{0, 1, 8186, 8187, 3*8186 + 5, 10 << 20} {
		payload := tomcatRandomBytes(size)
		sum := sha256.Sum256(payload)
		for _, chunked := range []bool{false, true} {
			name := strconv.Itoa(size) + " bytes, content-length"
			if chunked {
				name = strconv.Itoa(size) + " bytes, chunked"
			}
			t.Run(name, func(t *testing.T) {
				req := tomcatRequest(t, "POST", tc.AJPURL("/app/echo.jsp"), bytes.NewReader(payload))
				wantCL := strconv.Itoa(size)
				if chunked {
					req = tomcatRequest(t, "POST", tc.AJPURL("/app/echo.jsp"), unsizedReader{bytes.NewReader(payload)})
					req.ContentLength = -1
					wantCL = "null"
				}
				resp, body := tomcatDo(t, c, req)
				p := parseTomcatPage(body)
				if resp.StatusCode != 200 || p.kv["body_bytes"] != strconv.Itoa(size) || p.kv["body_sha256"] != hex.EncodeToString(sum[:]) {
					t.Fatalf("echo.jsp read %s bytes with SHA-256 %s (status %d), want %d bytes with %x",
						p.kv["body_bytes"], p.kv["body_sha256"], resp.StatusCode, size, sum)
				}
				if p.kv["content_length_header"] != wantCL {
					t.Errorf("Tomcat saw Content-Length %q, want %q", p.kv["content_length_header"], wantCL)
				}
				if chunked && p.kv["transfer_encoding"] != "chunked" {
					t.Errorf("Tomcat saw Transfer-Encoding %q, want chunked (as mod_jk describes a body of unknown length)", p.kv["transfer_encoding"])
				}
			})
		}
	}
	t.Run("a body the page never reads", func(t *testing.T) {
		// nosession.jsp ignores the body: Tomcat swallows the first packet and never asks for more. The
		// connection must stay usable for the next request.
		before := w.dials.Load()
		for range 2 {
			resp, body := tomcatDo(t, c, tomcatRequest(t, "POST", tc.AJPURL("/app/nosession.jsp"), bytes.NewReader(tomcatRandomBytes(100000))))
			if resp.StatusCode != 200 || !bytes.Contains(body, []byte("hello")) {
				t.Fatalf("POST to a page that ignores the body = %d %q", resp.StatusCode, body)
			}
		}
		if resp, _ := tomcatGet(t, c, tc.AJPURL("/app/nosession.jsp")); resp.StatusCode != 200 {
			t.Fatalf("GET after unread bodies = %d", resp.StatusCode)
		}
		// The first packet went unread, the rest was never asked for: the Transport drops the rest itself
		// and keeps the connection (at most one dial, when this subtest runs alone).
		if got := w.dials.Load() - before; got > 1 {
			t.Errorf("%d dials for 3 requests after unread bodies, want the connection kept", got)
		}
	})
	t.Run("UTF-8 text body", func(t *testing.T) {
		text := "Grüße aus 東京 — ünïcödé ✓"
		req := tomcatRequest(t, "POST", tc.AJPURL("/app/text.jsp"), bytes.NewReader([]byte(text)))
		req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
		_, body := tomcatDo(t, c, req)
		p := parseTomcatPage(body)
		if p.kv["text"] != text || p.kv["chars"] != strconv.Itoa(len([]rune(text))) {
			t.Fatalf("text.jsp decoded %q (%s chars), want %q", p.kv["text"], p.kv["chars"], text)
		}
	})
}

// Response bodies around the packet boundaries (8184 is the largest body chunk Tomcat sends with
// packetSize 8192), with and without flushes (Tomcat then sends empty body chunks between the data).
func TestTomcatResponseBodies(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, w := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	for _, size := range []int{0, 1, 8184, 8185, 1 << 20, 10 << 20} {
		for _, flush := range []int{0, 1000, 8184} {
			t.Run(strconv.Itoa(size)+" bytes, flush every "+strconv.Itoa(flush), func(t *testing.T) {
				url := tc.AJPURL("/app/big.jsp?bytes=" + strconv.Itoa(size) + "&flush=" + strconv.Itoa(flush))
				resp, body := tomcatGet(t, c, url)
				if resp.StatusCode != 200 || !bytes.Equal(body, tomcatBigBody(size)) {
					t.Fatalf("big.jsp: status %d, %d bytes (equal: %v), want 200 and %d bytes of the pattern",
						resp.StatusCode, len(body), bytes.Equal(body, tomcatBigBody(size)), size)
				}
				if resp.ContentLength != -1 && resp.ContentLength != int64(size) {
					t.Errorf("ContentLength = %d for %d bytes", resp.ContentLength, size)
				}
			})
		}
	}
	if d := w.dials.Load(); d != 1 {
		t.Errorf("%d connections for sequential requests, want 1 reused", d)
	}
}

// A flushed part reaches the client while the page still runs. flush.jsp writes "first", flushes and
// then blocks until release.jsp is requested: reading "first" before requesting release.jsp can only
// succeed if the flush went through (otherwise the read blocks until the page gives up after 60 s and
// the body then says released=false).
func TestTomcatFlushArrivesBeforeTheEnd(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, _ := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	resp, err := c.Get(tc.AJPURL("/app/flush.jsp?id=ajp-conformance"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, len("first\n"))
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first\n" {
		t.Fatalf("reading the flushed part: %q, %v", first, err)
	}
	if r, body := tomcatGet(t, c, tc.AJPURL("/app/release.jsp?id=ajp-conformance")); r.StatusCode != 200 {
		t.Fatalf("release.jsp = %d %q", r.StatusCode, body)
	}
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "released=true" {
		t.Fatalf("rest of flush.jsp = %q, %v; want released=true", rest, err)
	}
}

// Answers that never have a body, whatever their headers say.
func TestTomcatBodilessAnswers(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, w := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	tests := []struct {
		name, method, path string
		status             int
	}{
		{"HEAD", "HEAD", "/app/big.jsp?bytes=5000", 200},
		{"HEAD of a page with a body length", "HEAD", "/app/nosession.jsp", 200},
		{"204", "GET", "/app/nobody.jsp?code=204", 204},
		{"304", "GET", "/app/nobody.jsp?code=304", 304},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := tomcatDo(t, c, tomcatRequest(t, tt.method, tc.AJPURL(tt.path), nil))
			if resp.StatusCode != tt.status || len(body) != 0 {
				t.Fatalf("%s %s = %d with %d body bytes, want %d and none", tt.method, tt.path, resp.StatusCode, len(body), tt.status)
			}
		})
	}
	// The connection is still in step: the next answer is the right one, on the same connection.
	resp, body := tomcatGet(t, c, tc.AJPURL("/app/status.jsp?code=202"))
	if resp.StatusCode != 202 || parseTomcatPage(body).kv["status"] != "202" || w.dials.Load() != 1 {
		t.Fatalf("after bodiless answers: %d %q with %d dials, want 202 on the first connection", resp.StatusCode, body, w.dials.Load())
	}
}

func TestTomcatResponseHeaders(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)
	tr, _ := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	t.Run("several Set-Cookie", func(t *testing.T) {
		resp, _ := tomcatGet(t, c, tc.AJPURL("/app/cookies.jsp"))
		got := map[string]string{}
		for _, ck := range resp.Cookies() {
			got[ck.Name] = ck.Value
		}
		if len(resp.Header.Values("Set-Cookie")) != 3 || got["plain"] != "one" || got["scoped"] != "two" || got["expiring"] != "three" {
			t.Fatalf("Set-Cookie = %q", resp.Header.Values("Set-Cookie"))
		}
	})
	t.Run("status and reason", func(t *testing.T) {
		for _, code := range []int{200, 201, 404, 418, 500, 503} {
			resp, body := tomcatGet(t, c, tc.AJPURL("/app/status.jsp?code="+strconv.Itoa(code)))
			if resp.StatusCode != code || resp.Header.Get("X-Route") != tc.Route() || parseTomcatPage(body).kv["status"] != strconv.Itoa(code) {
				t.Fatalf("status.jsp?code=%d = %d %v %q", code, resp.StatusCode, resp.Header, body)
			}
			// Tomcat sends the number as the reason; the Transport gives the real phrase.
			if want := strconv.Itoa(code) + " " + http.StatusText(code); resp.Status != want {
				t.Errorf("Status = %q, want %q", resp.Status, want)
			}
		}
	})
}
