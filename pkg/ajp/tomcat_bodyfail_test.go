package ajp_test

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

// A client body that fails mid-upload must reach the application as an I/O error, never as a
// complete shorter body (mod_jk sends an empty end-of-body packet there, and Tomcat then serves a
// short body as whole). bodyfail.jsp records how its read of the body ended; a second request reads
// that record. RoundTrip must return ErrClientBody and no response, and the connection must be
// closed: the next request dials anew.
func TestTomcatTruncatedRequestBody(t *testing.T) {
	tc := tomcattest.Shared(t, tomcatConformance)

	// The control, which also compiles the page: a whole body reads as complete.
	tr, _ := newTomcatTransport(tc)
	c := newTomcatClient(t, tr)
	resp, body := tomcatDo(t, c, tomcatRequest(t, "POST", tc.AJPURL("/app/bodyfail.jsp?id=whole"), bytes.NewReader(tomcatRandomBytes(20000))))
	if resp.StatusCode != 200 || parseTomcatPage(body).kv["outcome"] != "complete bytes=20000" {
		t.Fatalf("a whole body: %d %q, want complete bytes=20000", resp.StatusCode, body)
	}

	for _, tt := range []struct {
		name   string
		yields int   // bytes the body gives before it fails
		length int64 // -1: unknown length, sent as Tomcat asks for it
		// read is how many bytes Tomcat read before its read failed; -1: nothing but the new
		// connection's CPing reached Tomcat, the body failed before the request went out.
		read int
	}{
		{"Content-Length 100000, fails after 1000 bytes", 1000, 100000, -1},
		{"Content-Length 100000, fails after 20000 bytes", 20000, 100000, 2 * 8186},
		{"unknown length, fails after 1000 bytes", 1000, -1, 1000},
		{"unknown length, fails after 20000 bytes", 20000, -1, 20000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr, w := newTomcatTransport(tc)
			c := newTomcatClient(t, tr)
			id := strings.NewReplacer(" ", "-", ",", "").Replace(tt.name)
			req := tomcatRequest(t, "POST", tc.AJPURL("/app/bodyfail.jsp?id="+id), nil)
			req.Body = &failingBody{bytes.NewReader(tomcatRandomBytes(tt.yields)), io.ErrUnexpectedEOF}
			req.ContentLength = tt.length
			req.Header.Set("Content-Type", "application/octet-stream")
			resp, err := tr.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("a body cut after %d of %d bytes: status %d reached the caller, want an error", tt.yields, tt.length, resp.StatusCode)
			}
			if !errors.Is(err, ajp.ErrClientBody) || !ajp.IsClientError(err) || ajp.IsRetryable(err) {
				t.Errorf("err %v: want ErrClientBody, a client error, not retryable", err)
			}
			if tt.read < 0 {
				if got := w.written.Load(); got != 5 {
					t.Errorf("%d bytes written, want 5: the CPing only, not a byte of the request", got)
				}
			}

			next := "/app/bodyfail.jsp?report=" + id
			if tt.read < 0 {
				next = "/app/nosession.jsp" // nothing reached the page: its report would wait out its 30 s
			}
			resp, body := tomcatGet(t, c, tc.AJPURL(next))
			if got := w.dials.Load(); got != 2 {
				t.Errorf("%d dials, want 2: the connection of the failed body must be closed, not pooled", got)
			}
			if tt.read < 0 {
				return
			}
			outcome := parseTomcatPage(body).kv["outcome"]
			end, bytesRead, _ := strings.Cut(outcome, " bytes=")
			if resp.StatusCode != 200 || end == "complete" || end == "none" || !strings.HasSuffix(end, "Exception") {
				t.Fatalf("Tomcat's read of the body ended with %q, want an IOException", outcome)
			}
			if bytesRead != strconv.Itoa(tt.read) {
				t.Errorf("Tomcat read %s bytes before the error, want %d", bytesRead, tt.read)
			}
			t.Logf("Tomcat saw: %s", outcome)
		})
	}
}
