package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The README's way to TLS: the demo project's compose.yaml with compose/compose.tls.yaml over
// it, certificates from scripts/demo-tls-certs.sh, both used as shipped (only the project's name
// and ports are the test's). The gateway container must answer HTTPS with HTTP/2 from the
// mounted certificate, send plain HTTP to HTTPS with HSTS on the TLS answers, and a deploy under
// HTTPS load must lose no request.
func TestDemoTLSOverrideServesHTTPSAndDeploys(t *testing.T) {
	t.Parallel()
	images(t, "gateway", "goapp")
	dir := t.TempDir()
	name := "rolle2etls" + randHex(4)
	demo, err := os.ReadFile(filepath.Join(repoRoot, "compose", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(demo), "\nname: rolldemo\n") {
		t.Fatalf("compose/compose.yaml no longer says name: rolldemo; the test renames the project")
	}
	writeFile(t, filepath.Join(dir, "compose.yaml"), strings.Replace(string(demo), "\nname: rolldemo\n", "\nname: "+name+"\n", 1))
	override, err := os.ReadFile(filepath.Join(repoRoot, "compose", "compose.tls.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "compose.tls.yaml"), string(override))
	certs := exec.Command(filepath.Join(repoRoot, "scripts", "demo-tls-certs.sh"), filepath.Join(dir, "tls"))
	if out, err := certs.CombinedOutput(); err != nil {
		t.Fatalf("scripts/demo-tls-certs.sh: %v\n%s", err, out)
	}
	httpPort, httpsPort := freePort(t), freePort(t)
	p := &project{t: t, Dir: dir, Name: name, HTTPPort: httpPort, AdminPort: freePort(t),
		Token: "tok-" + randHex(8), Secret: "ajp-" + randHex(8), volumes: []string{"gateway-state"}}
	writeFile(t, filepath.Join(dir, ".env"), fmt.Sprintf("ROLL_ADMIN_TOKEN=%s\nAJP_SECRET=%s\nROLL_HTTP_PORT=%d\nROLL_ADMIN_PORT=%d\nROLL_HTTPS_PORT=%d\n",
		p.Token, p.Secret, httpPort, p.AdminPort, httpsPort))
	files := []string{"-f", "compose.yaml", "-f", "compose.tls.yaml"}
	t.Cleanup(func() {
		if res := p.roll(append(files, "down", "--volumes")...); res.Code != 0 {
			t.Logf("roll down: %s%s", res.Stdout, res.Stderr)
		}
		p.remove() // and check that nothing of the project is left
	})
	p.must(append(files, "up")...)

	ca, err := os.ReadFile(filepath.Join(dir, "tls-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatalf("tls-ca.pem holds no certificate")
	}
	newClient := func() *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 2}}
	}
	secure := fmt.Sprintf("https://127.0.0.1:%d/", httpsPort)
	var resp *http.Response
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err = newClient().Get(secure)
		if err == nil && resp.StatusCode == http.StatusOK {
			break
		}
		if err == nil {
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway never answered 200 on %s: %v", secure, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" {
		t.Errorf("HTTPS answered over %s, want HTTP/2.0 (ALPN)", resp.Proto)
	}
	if !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=86400") {
		t.Errorf("Strict-Transport-Security = %q, want the override's 24h", resp.Header.Get("Strict-Transport-Security"))
	}
	if !strings.Contains(string(body), "v1") {
		t.Errorf("HTTPS answer %q is not the app's v1", body)
	}

	noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	plain, err := noFollow.Get(fmt.Sprintf("http://127.0.0.1:%d/some/page?q=1", httpPort))
	if err != nil {
		t.Fatal(err)
	}
	plain.Body.Close()
	if want := fmt.Sprintf("https://127.0.0.1:%d/some/page?q=1", httpsPort); plain.StatusCode != http.StatusPermanentRedirect || plain.Header.Get("Location") != want {
		t.Errorf("plain HTTP got %d Location %q, want 308 to %s", plain.StatusCode, plain.Header.Get("Location"), want)
	}

	l := startLoadWith(t, secure, 200, 8, newClient)
	time.Sleep(2 * time.Second)
	p.must(append(files, "deploy", "app", "--image", "roll-example-goapp:v2")...)
	time.Sleep(2 * time.Second)
	rep := l.report()
	t.Logf("HTTPS load: %s", rep)
	if len(rep.Failures) > 0 {
		t.Errorf("%d failed HTTPS requests during the deploy, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
	if len(rep.Order) != 2 || rep.Order[0] != "v1" || rep.Order[1] != "v2" {
		t.Errorf("versions seen over HTTPS in order %v, want [v1 v2]", rep.Order)
	}
	if rep.Total < 500 {
		t.Errorf("only %d HTTPS requests: the load generator did not load", rep.Total)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
