package gateway

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

const hostileMessage = "Upgrading <script>alert('x')</script> & \"friends\"\nback at 14:00"

// TestMaintenanceAnswers503: in maintenance every request but the health path gets a 503 with
// Retry-After and the message: an HTML page (the message escaped) for a browser, plain text
// for the others, no body for HEAD; nothing reaches the backend; off lets everything through.
func TestMaintenanceAnswers503(t *testing.T) {
	g, a := pausedApp(t, nil)
	st, err := g.StartMaintenance(t.Context(), "app", admin.MaintenanceSpec{Message: hostileMessage, RetryAfter: admin.Duration(90 * time.Second)})
	if err != nil || !st.Active() || st.RetryAfter != admin.Duration(90*time.Second) {
		t.Fatalf("StartMaintenance: %+v, %v", st, err)
	}
	browser := http.Header{"Accept": {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}}
	page := await(t, getAsync(g.URL+"/shop/cart?x=1", browser), 5*time.Second)
	if page.status != 503 || page.header.Get("Retry-After") != "90" || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") ||
		page.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("browser: %d %v", page.status, page.header)
	}
	if strings.Contains(page.body, "<script>") || !strings.Contains(page.body, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;friends&#34;") ||
		!strings.Contains(page.body, "90 seconds") {
		t.Errorf("the page does not carry the message escaped:\n%s", page.body)
	}
	text := await(t, getAsync(g.URL+"/api/items", http.Header{"Accept": {"application/json"}}), 5*time.Second)
	if text.status != 503 || !strings.HasPrefix(text.header.Get("Content-Type"), "text/plain") || !strings.Contains(text.body, hostileMessage) {
		t.Errorf("an API client: %d %q %q", text.status, text.header.Get("Content-Type"), text.body)
	}
	notHTML := await(t, getAsync(g.URL+"/", http.Header{"Accept": {"text/html;q=0, text/plain"}}), 5*time.Second)
	if !strings.HasPrefix(notHTML.header.Get("Content-Type"), "text/plain") {
		t.Errorf("text/html;q=0 got %q", notHTML.header.Get("Content-Type"))
	}
	req, _ := http.NewRequest(http.MethodHead, g.URL+"/x", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "90" {
		t.Fatalf("HEAD: %v %v", resp, err)
	}
	resp.Body.Close()
	if code, body := get(t, g.URL+"/health", ""); code != 200 || body != "a" {
		t.Errorf("the health path in maintenance: %d %q, want the backend's answer", code, body)
	}
	if n := a.count(); n != 1 {
		t.Errorf("the backend saw %d requests in maintenance, want 1 (the health path)", n)
	}
	if st := maintOf(t, g); st.Answered != 4 {
		t.Errorf("answered %d, want 4", st.Answered)
	}
	st, err = g.EndMaintenance(t.Context(), "app")
	if err != nil || st.Active() || st.Ended.IsZero() || st.Answered != 4 {
		t.Fatalf("EndMaintenance: %+v, %v", st, err)
	}
	if code, body := get(t, g.URL+"/x", ""); code != 200 || body != "a" {
		t.Errorf("after maintenance: %d %q", code, body)
	}
	if _, err := g.EndMaintenance(t.Context(), "app"); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("a second maintenance off: %v, want ErrConflict", err)
	}
}

func maintOf(t *testing.T, g *testGateway) admin.MaintenanceStatus {
	t.Helper()
	st, err := g.Service(t.Context(), "app")
	if err != nil || st.Maintenance == nil {
		t.Fatalf("no maintenance in the status: %v", err)
	}
	return *st.Maintenance
}

// TestMaintenanceReplacesAPause: a pause that turns out too short for the migration becomes
// maintenance: its held requests get the maintenance page, and the pause says how it ended.
// A pause is refused while in maintenance.
func TestMaintenanceReplacesAPause(t *testing.T) {
	g, a := pausedApp(t, nil)
	if _, err := g.Pause(t.Context(), "app", admin.PauseRequest{}); err != nil {
		t.Fatal(err)
	}
	held := []<-chan reply{getAsync(g.URL+"/1", nil), getAsync(g.URL+"/2", nil)}
	heldIs(t, g, "app", 2)
	if _, err := g.StartMaintenance(t.Context(), "app", admin.MaintenanceSpec{Message: "longer than planned"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range held {
		if r := await(t, c, 5*time.Second); r.status != 503 || !strings.Contains(r.body, "longer than planned") || r.header.Get("Retry-After") != "120" {
			t.Errorf("held request: %d %q %v, want the maintenance answer", r.status, r.body, r.header)
		}
	}
	if p := pauseOf(t, g, "app"); p.Active() || p.EndedBy != admin.PauseEndedByMaintenance || p.Released != 2 {
		t.Errorf("pause %+v, want ended by maintenance, 2 released", p)
	}
	if _, err := g.Pause(t.Context(), "app", admin.PauseRequest{}); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("pause in maintenance: %v, want ErrConflict", err)
	}
	if st, err := g.StartMaintenance(t.Context(), "app", admin.MaintenanceSpec{Message: "almost done"}); err != nil || st.Answered != 2 || st.Message != "almost done" {
		t.Errorf("a new message: %+v, %v; want the same maintenance with its count", st, err)
	}
	if n := a.count(); n != 0 {
		t.Errorf("the backend saw %d requests", n)
	}
}

func TestAcceptsHTML(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                                  false,
		"*/*":                               false,
		"application/json":                  false,
		"text/html":                         true,
		"TEXT/HTML; charset=utf-8":          true,
		"text/plain, application/xhtml+xml": true,
		"text/html;q=0":                     false,
		"text/html; q=0.0, */*":             false,
		"text/html;q=0.5":                   true,
		"text/htmlx":                        false,
	} {
		if got := acceptsHTML([]string{accept}); got != want {
			t.Errorf("Accept %q: %t, want %t", accept, got, want)
		}
	}
}

func TestExemptPaths(t *testing.T) {
	spec := admin.ServiceSpec{PathPrefixes: []string{"/shop"}, Health: admin.HealthSpec{Path: "/shop/health"}}
	for path, want := range map[string]bool{"/shop/health": true, "/shop/healthz": false, "/shop/": false, "/": false} {
		if got := exempt(path, spec); got != want {
			t.Errorf("%s: %t, want %t", path, got, want)
		}
	}
	for _, hp := range []string{"/", "/shop", "/shop/"} {
		spec.Health.Path = hp
		if exempt(hp, spec) {
			t.Errorf("health path %s is a route's root: exempting it would let the app itself through", hp)
		}
	}
}

func TestSpoken(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Second: "1 second", 90 * time.Second: "90 seconds",
		2 * time.Minute: "2 minutes", time.Hour: "1 hour", 3 * time.Hour: "3 hours"} {
		if got := spoken(d); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
}
