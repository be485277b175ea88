package gateway

import (
	"bufio"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/ajp"
	"github.com/rollcd/roll/pkg/ajp/ajptest"
)

// The AJP wire tests pin, against golden files, what the gateway sends Tomcat for a table of
// client requests (ajp_requests.golden) and what its client gets back for a table of backend
// replies (ajp_replies.golden), hostile ones included. The files were first recorded from the
// ReverseProxy + ajp.Transport path; any change to them is a change of behaviour, to be made
// on purpose. `go test ./pkg/gateway/ -run Wire -update` rewrites them.

var updateGolden = flag.Bool("update", false, "rewrite the golden files of the AJP wire tests")

// golden compares got (case name → rendering) with the golden file, or rewrites it.
func golden(t *testing.T, file string, names []string, got map[string]string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *updateGolden {
		var b strings.Builder
		for _, n := range names {
			fmt.Fprintf(&b, "=== %s\n%s\n", n, got[n])
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the golden file (run with -update to record it): %v", err)
	}
	want := map[string]string{}
	for _, part := range strings.Split(string(raw), "=== ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		want[name] = strings.TrimSuffix(body, "\n")
	}
	for _, n := range names {
		w, ok := want[n]
		switch {
		case !ok:
			t.Errorf("%s: not in %s (run with -update to record it)", n, file)
		case w != got[n]:
			t.Errorf("%s: changed\n--- golden\n%s\n--- now\n%s", n, w, got[n])
		}
	}
}

// wireBackend is a scripted AJP backend: it records what reaches it and answers each request
// with its script. A request for /app/probe (the tests' check that a client connection stays
// open) is answered 200 "probe" and not recorded.
type wireBackend struct {
	*ajptest.Backend
	name string
	mu   sync.Mutex
	seen []string // renderings of the requests
}

// wireReply answers one recorded request on c; it reports false to close the connection.
type wireReply func(c *ajptest.Conn, f *ajp.ForwardRequest) bool

func startWireBackend(t *testing.T, name string, reply wireReply) *wireBackend {
	t.Helper()
	wb := &wireBackend{name: name}
	wb.Backend = ajptest.NewBackend(t, func(c *ajptest.Conn) {
		for {
			f, raw, err := c.ReadRequest()
			if err != nil {
				return
			}
			if f.URI == "/app/probe" {
				if c.Respond(200, "probe", true) != nil {
					return
				}
				continue
			}
			body, err := pullBody(c, f)
			if err != nil {
				return
			}
			wb.mu.Lock()
			wb.seen = append(wb.seen, renderForward(name, f, raw, body))
			wb.mu.Unlock()
			if !reply(c, f) {
				return
			}
		}
	})
	return wb
}

func (wb *wireBackend) requests() []string {
	wb.mu.Lock()
	defer wb.mu.Unlock()
	return slices.Clone(wb.seen)
}

// pullBody reads the whole request body as Tomcat would: the unprompted first packet of a
// body with a length, then GET_BODY_CHUNK until the length is read or the empty packet ends it;
// of a request for …/unread, only the first packet.
func pullBody(c *ajptest.Conn, f *ajp.ForwardRequest) ([]byte, error) {
	length, chunked := int64(0), false
	for _, h := range f.Headers {
		switch strings.ToLower(h.Name) {
		case "content-length":
			length, _ = strconv.ParseInt(h.Value, 10, 64)
		case "transfer-encoding":
			chunked = true
		}
	}
	var body []byte
	unread := strings.HasSuffix(f.URI, "/unread") // only the packet that came with the request
	if length > 0 {
		p, err := c.ReadPacket()
		if err != nil {
			return nil, err
		}
		data, _ := ajp.ParseRequestBody(p)
		body = append(body, data...)
	}
	for !unread && (chunked || int64(len(body)) < length) {
		if err := c.Send(ajp.AppendGetBodyChunk(nil, 8186)); err != nil {
			return nil, err
		}
		p, err := c.ReadPacket()
		if err != nil {
			return nil, err
		}
		data, _ := ajp.ParseRequestBody(p)
		if len(data) == 0 {
			break
		}
		body = append(body, data...)
	}
	return body, nil
}

// renderForward writes every field of a FORWARD_REQUEST, headers sorted by name (the gateway
// sends them in map order), the client's port as <port>.
func renderForward(backend string, f *ajp.ForwardRequest, raw, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "backend %s\n", backend)
	fmt.Fprintf(&b, "method %q protocol %q uri %q\n", f.Method, f.Protocol, f.URI)
	fmt.Fprintf(&b, "remote_addr %q remote_host %q server_name %q server_port %d is_ssl %v\n",
		f.RemoteAddr, f.RemoteHost, f.ServerName, f.ServerPort, f.IsSSL)
	headers := slices.Clone(f.Headers)
	slices.SortStableFunc(headers, func(a, b ajp.Header) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	for _, h := range headers {
		fmt.Fprintf(&b, "header %q: %q\n", h.Name, h.Value)
	}
	fmt.Fprintf(&b, "query %q empty_query %v route %q secret %q remote_user %q auth_type %q\n",
		f.QueryString, f.EmptyQuery, f.Route, f.Secret, f.RemoteUser, f.AuthType)
	fmt.Fprintf(&b, "ssl_cert %q ssl_cipher %q ssl_session %q ssl_key_size %d\n", f.SSLCert, f.SSLCipher, f.SSLSession, f.SSLKeySize)
	portLen := 0
	for _, a := range f.ReqAttributes {
		v := a.Value
		if a.Name == ajp.AttrRemotePort {
			v, portLen = "<port>", len(v)
		}
		fmt.Fprintf(&b, "req_attribute %q = %q\n", a.Name, v)
	}
	fmt.Fprintf(&b, "payload bytes without the port: %d\n", len(raw)-portLen)
	fmt.Fprintf(&b, "body %s", renderBody(body))
	return b.String()
}

// renderBody quotes a short body and summarises a long one.
func renderBody(body []byte) string {
	if len(body) <= 64 {
		return strconv.Quote(string(body))
	}
	return fmt.Sprintf("%d bytes, sha256 %x", len(body), sha256.Sum256(body))
}

// wireGateway serves "app" on /app over backend a, and "drain" on /drain over d (draining)
// and e, each a wireBackend answering with reply. Health checks are a CPing an hour.
func wireGateway(t *testing.T, mod func(*Config), reply wireReply) (*testGateway, []*wireBackend) {
	t.Helper()
	var backends []*wireBackend
	g := wireServices(t, mod, ajpService, func(name string) string {
		wb := startWireBackend(t, name, reply)
		backends = append(backends, wb)
		return wb.Addr
	})
	return g, backends
}

// wireServices serves "app" on /app over backend a, and "drain" on /drain over d (draining)
// and e, services of spec, each backend started by start, which returns its address. Health
// checks are a TCP connect (AJP: a CPing) an hour.
func wireServices(t *testing.T, mod func(*Config), spec func(string) admin.ServiceSpec, start func(name string) string) *testGateway {
	t.Helper()
	g := newTestGateway(t, mod)
	for _, svc := range []struct {
		name, prefix string
		members      []string
	}{{"app", "/app", []string{"a"}}, {"drain", "/drain", []string{"d", "e"}}} {
		spec := spec(svc.name)
		spec.PathPrefixes = []string{svc.prefix}
		spec.Health.Check = admin.CheckTCP
		if spec.Protocol == admin.AJP {
			spec.Health.Check = admin.CheckCPing
		}
		spec.Health.Interval = admin.Duration(time.Hour)
		mustPut(t, g, spec)
		for _, name := range svc.members {
			act := admin.Active
			if name == "d" {
				act = admin.Draining
			}
			mustAdd(t, g, svc.name, admin.BackendSpec{Name: name, Address: start(name), Activation: act})
		}
	}
	return g
}

// wireExchangeInterim sends raw bytes on a new connection to the gateway, reads one answer (to
// a request of method) and then, on the same connection, a probe: it tells whether the
// gateway kept the connection. The answer is rendered without Date, and with its body
// decoded: complete says whether the body arrived whole by its framing. With showInterim it
// also renders the 1xx answers before the final one.
func wireExchangeInterim(t *testing.T, g *testGateway, method, raw string, halfClose, showInterim bool) string {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(nc, raw); err != nil {
		t.Fatal(err)
	}
	if halfClose {
		_ = nc.(*net.TCPConn).CloseWrite()
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return fmt.Sprintf("no answer: %v", err)
	}
	var b strings.Builder
	for resp.StatusCode/100 == 1 && resp.StatusCode != http.StatusSwitchingProtocols {
		interim := resp.Status
		if showInterim {
			fmt.Fprintf(&b, "interim %d\n", resp.StatusCode)
			writeFieldsSorted(&b, resp.Header)
		}
		if resp, err = http.ReadResponse(br, &http.Request{Method: method}); err != nil {
			return b.String() + fmt.Sprintf("interim %s, then no answer: %v", interim, err)
		}
	}
	body, err := io.ReadAll(resp.Body)
	fmt.Fprintf(&b, "status %d\n", resp.StatusCode)
	writeFieldsSorted(&b, resp.Header)
	fmt.Fprintf(&b, "body %s complete %v\n", renderBody(body), err == nil)
	kept := false
	if err == nil && !halfClose {
		if _, err := io.WriteString(nc, "GET /app/probe HTTP/1.1\r\nHost: app.test\r\n\r\n"); err == nil {
			_, err := http.ReadResponse(br, nil)
			kept = err == nil
		}
	}
	fmt.Fprintf(&b, "connection kept %v", kept)
	return b.String()
}

// writeFieldsSorted renders header fields by name, without Date and Content-Length (the
// framing is the decoded body's).
func writeFieldsSorted(b *strings.Builder, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		if k != "Date" && k != "Content-Length" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			if len(v) > 200 {
				fmt.Fprintf(b, "header %s: %d bytes\n", k, len(v))
				continue
			}
			fmt.Fprintf(b, "header %s: %q\n", k, v)
		}
	}
}

// settled renders a backend's counters once nothing is in flight there any more.
func settled(t *testing.T, g *testGateway, svc, name string) string {
	t.Helper()
	eventually(t, 10*time.Second, "no request in flight at "+name, func() bool { return backendOf(t, g, svc, name).InFlight == 0 })
	st := backendOf(t, g, svc, name)
	return fmt.Sprintf("backend %s: requests %d errors %d healthy %v sessions %d", name, st.Requests, st.Errors, st.Healthy, st.Sessions)
}

func clientErrorsOf(t *testing.T, g *testGateway, svc string) uint64 {
	t.Helper()
	st, err := g.Service(t.Context(), svc)
	if err != nil {
		t.Fatal(err)
	}
	return st.ClientErrors
}
