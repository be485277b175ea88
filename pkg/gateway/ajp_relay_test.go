package gateway

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

// A backend that breaks off after its headers, before any byte of its answer went to the client,
// has not answered: a GET goes to another backend, and the client gets that one's answer whole.
// A POST is not sent twice: the client sees the first answer cut short. Either way, nothing stays
// in flight.
func TestAJPAnswerBrokenBeforeItsBodyGoesToAnotherBackend(t *testing.T) {
	g := newTestGateway(t, nil)
	breaks := ajptest.NewBackend(t, func(c *ajptest.Conn) {
		if _, _, err := c.ReadRequest(); err == nil {
			c.Send(headers(200, "Content-Length", "5", "X-From", "a")) // and dies
		}
	})
	answers := ajptest.NewBackend(t, ajptest.Serve("from b"))
	spec := ajpService("app")
	spec.Health.Check, spec.Health.Interval = admin.CheckTCP, admin.Duration(time.Hour)
	mustPut(t, g, spec)
	mustAdd(t, g, "app", admin.BackendSpec{Name: "a", Address: breaks.Addr})
	mustAdd(t, g, "app", admin.BackendSpec{Name: "b", Address: answers.Addr})

	resp, body := do(t, http.MethodGet, g.URL+"/app/x", "JSESSIONID=S.a")
	if resp.StatusCode != 200 || body != "from b" || resp.Header.Get("X-From") != "" {
		t.Errorf("GET: %d %q (X-From %q), want b's whole answer and none of a's fields", resp.StatusCode, body, resp.Header.Get("X-From"))
	}
	if st := backendOf(t, g, "app", "a"); st.Healthy || st.Errors != 1 || st.Requests != 0 {
		t.Errorf("a after breaking off: %+v, want marked down with one error and no request answered", st)
	}

	mustAdd(t, g, "app", admin.BackendSpec{Name: "a2", Address: breaks.Addr})
	resp, body = do(t, http.MethodPost, g.URL+"/app/x", "JSESSIONID=S.a2")
	if resp.StatusCode != 200 || resp.Header.Get("X-From") != "a" || body != "" {
		t.Errorf("POST: %d %q (X-From %q), want a's answer cut short", resp.StatusCode, body, resp.Header.Get("X-From"))
	}
	for _, name := range []string{"a", "a2", "b"} {
		eventually(t, 10*time.Second, "nothing in flight at "+name, func() bool { return backendOf(t, g, "app", name).InFlight == 0 })
	}
}

// do sends a request with a cookie and reads the answer; a body cut short reads as far as it came.
func do(t *testing.T, method, url, cookie string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", cookie)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp, strings.TrimSpace(string(b))
}
