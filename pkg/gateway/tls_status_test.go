package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/internal/tlstest"
)

// adminGet reads an admin page with the token.
func adminGet(t *testing.T, g *testGateway, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", g.AdminURL+path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return string(body)
}

// The status page, /status.json and /metrics say which certificates serve which names until
// when, which is the default, and which file failed to load at the last reload.
func TestTLSStatusAndMetrics(t *testing.T) {
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	notAfter := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	shopCert, _ := ca.Server(t, notAfter, "shop.test", "www.shop.test").Write(t, dir, "shop")
	ca.Server(t, time.Time{}, "*.blog.test").Write(t, dir, "wild")
	g := newTLSGateway(t, ca, func(c *Config) {
		c.TLS.CertDir = dir
		c.TLS.ReloadInterval = -1
	})
	var st struct {
		TLS tlsStatus `json:"tls"`
	}
	if err := json.Unmarshal([]byte(adminGet(t, g.testGateway, "/status.json")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.TLS.Certificates) != 2 {
		t.Fatalf("status.json certificates %+v, want 2", st.TLS.Certificates)
	}
	shop := st.TLS.Certificates[0]
	if strings.Join(shop.Names, " ") != "shop.test www.shop.test" || shop.Cert != shopCert || !shop.NotAfter.Equal(notAfter) || !shop.Default ||
		st.TLS.Certificates[1].Default || len(st.TLS.Problems) != 0 {
		t.Errorf("status.json tls %+v", st.TLS)
	}

	tlstest.WriteFile(t, shopCert, []byte("broken"))
	if err := g.ReloadCertificates(); err == nil {
		t.Fatal("a broken file reloaded without a problem")
	}
	metrics := adminGet(t, g.testGateway, "/metrics")
	for _, want := range []string{
		fmt.Sprintf(`roll_tls_certificate_expiry_timestamp_seconds{cert="%s",names="shop.test,www.shop.test"} %d`, shopCert, notAfter.Unix()),
		`names="*.blog.test"}`,
		"roll_tls_certificate_problems 1",
		"roll_tls_reload_failures_total 1",
		"roll_tls_handshake_failures_total 0",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	page := adminGet(t, g.testGateway, "/status")
	for _, want := range []string{"TLS certificates", "shop.test www.shop.test", "*.blog.test", notAfter.Format("2006-01-02 15:04 MST"), "29 days", shopCert + ": loading certificate"} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	// A gateway without TLS says nothing of it.
	plain := newTestGateway(t, nil)
	if body := adminGet(t, plain, "/status.json"); strings.Contains(body, `"tls"`) {
		t.Errorf("status.json of a gateway without TLS: %s", body)
	}
	if body := adminGet(t, plain, "/metrics"); strings.Contains(body, "roll_tls_") {
		t.Error("/metrics of a gateway without TLS has TLS families")
	}
}
