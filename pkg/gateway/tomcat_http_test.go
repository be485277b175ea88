package gateway

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

// Over HTTP to real Tomcats: sessions stick to the Tomcat that issued them, bodies with a
// length and chunked ones arrive whole, the forwarding fields are the gateway's, and a page
// that flushes reaches the client while it still runs.
func TestTomcatOverHTTP(t *testing.T) {
	t1, t2 := sharedTomcats(t)
	g := newTestGateway(t, nil)
	putTomcats(t, g, httpService("app"), []*tomcattest.Tomcat{t1, t2}, (*tomcattest.Tomcat).HTTPAddr)

	t.Run("sticky sessions", func(t *testing.T) {
		page, cookie := tomcatGet(t, g.URL+"/app/hello.jsp", "")
		if cookie == "" {
			t.Fatal("Tomcat set no session cookie")
		}
		for i := 2; i <= 4; i++ {
			next, _ := tomcatGet(t, g.URL+"/app/hello.jsp", cookie)
			if next["route"] != page["route"] || next["hits"] != strconv.Itoa(i) {
				t.Fatalf("request %d: route %s hits %s, want route %s hits %d", i, next["route"], next["hits"], page["route"], i)
			}
		}
	})

	t.Run("bodies arrive whole", func(t *testing.T) {
		body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
		sum := sha256.Sum256(body)
		for _, chunked := range []bool{false, true} {
			var r io.Reader = bytes.NewReader(body)
			if chunked {
				r = io.MultiReader(r) // no length known: the client sends it chunked
			}
			resp, err := http.Post(g.URL+"/app/echo.jsp", "application/octet-stream", r)
			if err != nil {
				t.Fatal(err)
			}
			page, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("chunked %v: %d %v\n%s", chunked, resp.StatusCode, err, page)
			}
			got := kv(string(page))
			if got["body_bytes"] != strconv.Itoa(len(body)) || got["body_sha256"] != hex.EncodeToString(sum[:]) {
				t.Errorf("chunked %v: Tomcat read %s bytes, sha256 %s", chunked, got["body_bytes"], got["body_sha256"])
			}
		}
	})

	t.Run("forwarding fields", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, g.URL+"/app/info.jsp", nil)
		req.Header.Set("X-Forwarded-For", "6.6.6.6")
		req.Header.Set("X-Real-IP", "6.6.6.6")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := kv(string(page))
		if xff := got["header.x-forwarded-for"]; xff != "127.0.0.1" {
			t.Errorf("Tomcat saw X-Forwarded-For %q, want the gateway's %q\n%s", xff, "127.0.0.1", page)
		}
		if v, ok := got["header.x-real-ip"]; ok {
			t.Errorf("Tomcat saw the client's X-Real-IP %q", v)
		}
		if got["header.x-roll-activation"] != "ACT" {
			t.Errorf("Tomcat saw X-Roll-Activation %q, want ACT", got["header.x-roll-activation"])
		}
	})

	t.Run("flushed output streams", func(t *testing.T) {
		resp, err := http.Get(g.URL + "/app/flush.jsp?id=http-direct")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		if line, err := br.ReadString('\n'); err != nil || line != "first\n" {
			t.Fatalf("first line %q, %v", line, err)
		}
		// Only now does the page finish: "first" reached the client while it was still running.
		// Released on both Tomcats directly: either may run the page.
		for _, tc := range []string{t1.HTTPURL("/app/release.jsp?id=http-direct"), t2.HTTPURL("/app/release.jsp?id=http-direct")} {
			if _, err := tomcatGetStatus(tc); err != nil {
				t.Fatal(err)
			}
		}
		rest, err := io.ReadAll(br)
		if err != nil || !strings.Contains(string(rest), "released=true") {
			t.Fatalf("rest %q, %v", rest, err)
		}
	})
}

func tomcatGetStatus(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
