package tomcattest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// fetch does one request and returns the status, the body and the response.
func fetch(t *testing.T, c *http.Client, method, url string, body io.Reader) (int, string, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatalf("building %s %s: %v", method, url, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s %s: %v", method, url, err)
	}
	return resp.StatusCode, string(b), resp
}

// keyValues parses the pages' "key=value" lines; a repeated key keeps its last value.
func keyValues(body string) map[string]string {
	kv := make(map[string]string)
	for line := range strings.Lines(body) {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\n"), "=")
		if ok {
			kv[k] = v
		}
	}
	return kv
}

// bigBody is what big.jsp?bytes=n writes.
func bigBody(n int) []byte {
	line := []byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_\n")
	return bytes.Repeat(line, n/len(line)+1)[:n]
}

func TestWebappPagesOverHTTP(t *testing.T) {
	tc := Shared(t, Options{Route: "pages"})
	c := &http.Client{Timeout: 30 * time.Second}

	t.Run("health", func(t *testing.T) {
		status, body, _ := fetch(t, c, "GET", tc.HTTPURL("/app/health.jsp"), nil)
		if status != 200 || body != "ok" {
			t.Fatalf("health.jsp = %d %q, want 200 \"ok\"", status, body)
		}
	})
	t.Run("session counter carries the route", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		jc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
		_, body, _ := fetch(t, jc, "GET", tc.HTTPURL("/app/hello.jsp"), nil)
		first := keyValues(body)
		if first["route"] != "pages" || !strings.HasSuffix(first["session"], ".pages") || first["new"] != "true" || first["hits"] != "1" {
			t.Fatalf("first hello.jsp = %q", body)
		}
		_, body, _ = fetch(t, jc, "GET", tc.HTTPURL("/app/hello.jsp"), nil)
		second := keyValues(body)
		if second["session"] != first["session"] || second["hits"] != "2" || second["new"] != "false" {
			t.Fatalf("second hello.jsp = %q, want the same session with hits=2", body)
		}
	})
	t.Run("big body has the exact size and content", func(t *testing.T) {
		for _, n := range []int{0, 1, 64, 65, 100000} {
			status, body, _ := fetch(t, c, "GET", tc.HTTPURL("/app/big.jsp?flush=1000&bytes="+strconv.Itoa(n)), nil)
			if status != 200 || body != string(bigBody(n)) {
				t.Fatalf("big.jsp?bytes=%d: status %d, %d bytes, want 200 and %d bytes of the pattern", n, status, len(body), n)
			}
		}
	})
	t.Run("echo digests the body", func(t *testing.T) {
		payload := bytes.Repeat([]byte{0, 1, 2, 0xff}, 5000)
		sum := sha256.Sum256(payload)
		_, body, _ := fetch(t, c, "POST", tc.HTTPURL("/app/echo.jsp"), bytes.NewReader(payload))
		kv := keyValues(body)
		if kv["body_bytes"] != "20000" || kv["body_sha256"] != hex.EncodeToString(sum[:]) || kv["method"] != "POST" {
			t.Fatalf("echo.jsp = %q", body)
		}
	})
	t.Run("text decodes UTF-8", func(t *testing.T) {
		_, body, _ := fetch(t, c, "POST", tc.HTTPURL("/app/text.jsp"), strings.NewReader("grüße, 東京"))
		kv := keyValues(body)
		if kv["text"] != "grüße, 東京" || kv["chars"] != "9" {
			t.Fatalf("text.jsp = %q", body)
		}
	})
	t.Run("info decodes a non-ASCII path", func(t *testing.T) {
		_, body, _ := fetch(t, c, "GET", tc.HTTPURL("/app/info/caf%C3%A9%20x?q=%C3%A9"), nil)
		kv := keyValues(body)
		if kv["path_info"] != "/café x" || kv["param.q"] != "é" || kv["request_uri"] != "/app/info/caf%C3%A9%20x" {
			t.Fatalf("info/ = %q", body)
		}
	})
	t.Run("a 405 still shows the method Tomcat parsed", func(t *testing.T) {
		status, body, resp := fetch(t, c, "PROPFIND", tc.HTTPURL("/app/info.jsp"), nil)
		kv := keyValues(body)
		if status != 405 || kv["method"] != "PROPFIND" || kv["content_type"] != "null" || resp.Header.Get("Allow") == "" {
			t.Fatalf("PROPFIND info.jsp = %d %v %q", status, resp.Header, body)
		}
	})
	t.Run("status, no-body statuses and cookies", func(t *testing.T) {
		if status, _, resp := fetch(t, c, "GET", tc.HTTPURL("/app/status.jsp?code=503"), nil); status != 503 || resp.Header.Get("X-Route") != "pages" {
			t.Fatalf("status.jsp?code=503 = %d %v", status, resp.Header)
		}
		for _, code := range []int{204, 304} {
			if status, body, _ := fetch(t, c, "GET", tc.HTTPURL("/app/nobody.jsp?code="+strconv.Itoa(code)), nil); status != code || body != "" {
				t.Fatalf("nobody.jsp?code=%d = %d %q", code, status, body)
			}
		}
		if _, _, resp := fetch(t, c, "GET", tc.HTTPURL("/app/cookies.jsp"), nil); len(resp.Header.Values("Set-Cookie")) != 3 {
			t.Fatalf("cookies.jsp Set-Cookie = %q, want 3", resp.Header.Values("Set-Cookie"))
		}
	})
	t.Run("the second webapp answers its marker", func(t *testing.T) {
		for _, page := range []string{"/other/", "/other/secret.jsp", "/other/secret.txt"} {
			if status, body, _ := fetch(t, c, "GET", tc.HTTPURL(page), nil); status != 200 || !strings.Contains(body, OtherMarker) {
				t.Fatalf("GET %s = %d %q, want 200 with %s", page, status, body, OtherMarker)
			}
		}
	})
	t.Run("flush arrives before release", func(t *testing.T) {
		resp, err := c.Get(tc.HTTPURL("/app/flush.jsp?id=harness"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		first := make([]byte, len("first\n"))
		// This read can only complete if the flushed bytes arrive while the page still waits for release.
		if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first\n" {
			t.Fatalf("reading the flushed part: %q, %v", first, err)
		}
		if status, _, _ := fetch(t, c, "GET", tc.HTTPURL("/app/release.jsp?id=harness"), nil); status != 200 {
			t.Fatalf("release.jsp = %d", status)
		}
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != "released=true" {
			t.Fatalf("rest of flush.jsp = %q, %v", rest, err)
		}
	})
}

func TestSharedIsOnePerOptions(t *testing.T) {
	a := Shared(t, Options{Route: "pages"})
	b := Shared(t, Options{Route: "pages"})
	if a != b {
		t.Fatal("Shared with the same options returned two instances")
	}
	if a.Secret() == "" || len(a.Secret()) != 32 {
		t.Fatalf("random secret = %q, want 32 hex digits", a.Secret())
	}
	other := Shared(t, Options{Route: "other"})
	if other == a || other.AJPAddr() == a.AJPAddr() || other.Secret() == a.Secret() {
		t.Fatalf("Shared with other options returned %s/%s, same as %s/%s", other.AJPAddr(), other.Secret(), a.AJPAddr(), a.Secret())
	}
	b2, err := os.ReadFile(filepath.Join(other.Base(), "conf", "server.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`jvmRoute="other"`, `secret="` + other.Secret() + `"`, `packetSize="8192"`, `keepAliveTimeout="600000"`, `address="127.0.0.1"`} {
		if !strings.Contains(string(b2), want) {
			t.Errorf("server.xml lacks %s", want)
		}
	}
}

func TestKillRestartStop(t *testing.T) {
	tc := Start(t, Options{Route: "restart"})
	httpAddr, ajpAddr := tc.HTTPAddr(), tc.AJPAddr()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	_, body, _ := fetch(t, c, "GET", tc.HTTPURL("/app/hello.jsp"), nil)
	before := keyValues(body)["session"]

	tc.Kill()
	if tc.Running() {
		t.Fatal("Running after Kill")
	}
	if _, err := net.Dial("tcp", ajpAddr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dialling the AJP port of a killed Tomcat: %v, want connection refused", err)
	}

	tc.Restart(t)
	if tc.HTTPAddr() != httpAddr || tc.AJPAddr() != ajpAddr {
		t.Fatalf("Restart moved the ports: %s %s, want %s %s", tc.HTTPAddr(), tc.AJPAddr(), httpAddr, ajpAddr)
	}
	_, body, _ = fetch(t, c, "GET", tc.HTTPURL("/app/hello.jsp"), nil)
	after := keyValues(body)
	if after["session"] == before || after["new"] != "true" {
		t.Fatalf("after a restart hello.jsp = %q; the old session %s must be gone", body, before)
	}

	tc.Stop()
	if tc.Running() {
		t.Fatal("Running after Stop")
	}
	// A graceful stop goes through Tomcat's shutdown: its connectors say so in the log.
	if log := tc.LogTail(50); !strings.Contains(log, "Stopping ProtocolHandler") {
		t.Fatalf("Stop did not shut Tomcat down gracefully; log:\n%s", log)
	}
}

// cping sends an AJP CPING on a new connection and waits for the CPONG.
func cping(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dialling AJP %s: %v", addr, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte{0x12, 0x34, 0x00, 0x01, 0x0a}); err != nil {
		t.Fatalf("writing CPING: %v", err)
	}
	reply := make([]byte, 5)
	if _, err := io.ReadFull(conn, reply); err != nil {
		t.Fatalf("reading CPONG: %v", err)
	}
	if !bytes.Equal(reply, []byte{0x41, 0x42, 0x00, 0x01, 0x09}) {
		t.Fatalf("CPING answered % x, want CPONG 41 42 00 01 09", reply)
	}
}

func TestBrokenAppAnswersCPingButNotPages(t *testing.T) {
	tc := Start(t, Options{Route: "broken", BrokenApp: true, NoWait: true})
	// CPONG comes once the connectors have started, i.e. after the (failed) deployment.
	cping(t, tc.AJPAddr())
	c := &http.Client{Timeout: 30 * time.Second}
	for _, page := range []string{"/app/health.jsp", "/app/nosession.jsp"} {
		if status, _, _ := fetch(t, c, "GET", tc.HTTPURL(page), nil); status != http.StatusNotFound {
			t.Fatalf("%s on a broken webapp = %d, want 404", page, status)
		}
	}
	if log := tc.LogTail(200); !strings.Contains(log, "MissingListener") {
		t.Fatalf("the console log does not name the missing listener:\n%s", log)
	}
}

func TestSlowStartHoldsTheConnectors(t *testing.T) {
	tc := Start(t, Options{Route: "slow", SlowStart: 3 * time.Second, NoWait: true})
	// The AJP port is bound as soon as Start returns: a TCP connect succeeds though nothing answers yet.
	conn, err := net.Dial("tcp", tc.AJPAddr())
	if err != nil {
		t.Fatalf("dialling the bound AJP port: %v", err)
	}
	conn.Close()
	// Ordering proof: the CPONG can only come once the connectors have started, and Tomcat logs that
	// the server started only after the slow servlet's init returned.
	cping(t, tc.AJPAddr())
	if log := tc.LogTail(200); !strings.Contains(log, "Server startup in") {
		t.Fatalf("CPONG came before Tomcat finished starting:\n%s", log)
	}
	tc.WaitReady(t)
	c := &http.Client{Timeout: 30 * time.Second}
	if status, body, _ := fetch(t, c, "GET", tc.HTTPURL("/app/health.jsp"), nil); status != 200 || body != "ok" {
		t.Fatalf("health.jsp after WaitReady = %d %q", status, body)
	}
}

func TestPortTakenIsRecognised(t *testing.T) {
	Require(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	java, err := javaBinary()
	if err != nil {
		t.Fatal(err)
	}
	tc := &Tomcat{opts: Options{Route: "taken", NoWait: true}.withDefaults(), home: catalinaHome(), base: t.TempDir(), java: java}
	if err := layBase(tc.base, tc.home, tc.opts); err != nil {
		t.Fatal(err)
	}
	free, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	tc.httpPort, tc.ajpPort = free[0], taken.Addr().(*net.TCPAddr).Port
	if err := writeServerXML(tc.base, tc.opts, tc.httpPort, tc.ajpPort); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Kill)
	if err := tc.boot(); !errors.Is(err, errPortTaken) {
		t.Fatalf("booting on a taken port: %v, want errPortTaken", tc.withLog(err))
	}
}

func TestAvailableNamesWhatIsMissing(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("CATALINA_HOME", empty)
	err := available()
	if err == nil || !strings.Contains(err.Error(), empty) {
		t.Fatalf("available() with an empty CATALINA_HOME = %v, want an error naming %s", err, empty)
	}
}
