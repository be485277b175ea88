package gateway

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// TestGateThroughTheAdminAPI: pause and maintenance through the admin API and its client,
// token-protected like every call, shown on the status page (the message escaped) and in
// /status.json; refusals carry their codes.
func TestGateThroughTheAdminAPI(t *testing.T) {
	g, _ := pausedApp(t, nil)
	cl := admin.NewClient(g.AdminURL, testToken)
	ctx := t.Context()
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/v1/services/app/pause", `{}`},
		{"DELETE", "/v1/services/app/pause", ``},
		{"PUT", "/v1/services/app/maintenance", `{"message":"x"}`},
		{"DELETE", "/v1/services/app/maintenance", ``},
	} {
		if code, _, _ := adminDo(t, c.method, g.AdminURL+c.path, "", c.body); code != http.StatusUnauthorized {
			t.Errorf("%s %s without the token: %d, want 401", c.method, c.path, code)
		}
	}
	if st, _ := cl.Service(ctx, "app"); st.Pause != nil {
		t.Fatalf("the unauthorized calls paused the service: %+v", st.Pause)
	}

	if _, err := cl.Pause(ctx, "nosuch", admin.PauseRequest{}); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("pause of an unknown service: %v, want ErrNotFound", err)
	}
	if _, err := cl.Pause(ctx, "app", admin.PauseRequest{Max: admin.Duration(2 * time.Hour)}); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("pause for 2h: %v, want ErrInvalid", err)
	}
	if _, err := cl.Pause(ctx, "app", admin.PauseRequest{Max: admin.Duration(time.Minute), MaxHeld: 3}); err != nil {
		t.Fatal(err)
	}
	held := getAsync(g.URL+"/x", nil)
	heldIs(t, g, "app", 1)
	page := fetchStatusPage(t, g)
	for _, want := range []string{"paused since", "held <b>1</b> (at most 3)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page lacks %q:\n%s", want, page)
		}
	}
	if _, err := cl.StartMaintenance(ctx, "app", admin.MaintenanceSpec{Message: "a\x00b"}); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("a message with NUL: %v, want ErrInvalid", err)
	}
	if _, err := cl.StartMaintenance(ctx, "app", admin.MaintenanceSpec{Message: hostileMessage}); err != nil {
		t.Fatal(err)
	}
	if r := await(t, held, 5*time.Second); r.status != http.StatusServiceUnavailable {
		t.Errorf("held request after maintenance on: %d", r.status)
	}
	if _, err := cl.Pause(ctx, "app", admin.PauseRequest{}); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("pause in maintenance: %v, want ErrConflict", err)
	}
	page = fetchStatusPage(t, g)
	if !strings.Contains(page, "in maintenance since") || strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;") {
		t.Errorf("the status page does not show the maintenance with its message escaped:\n%s", page)
	}
	if !strings.Contains(page, "last pause ended by maintenance") {
		t.Errorf("the status page does not say how the pause ended:\n%s", page)
	}
	_, js, _ := adminDo(t, "GET", g.AdminURL+"/status.json", testToken, "")
	if !strings.Contains(js, `"maintenance": {`) || !strings.Contains(js, `"ended_by": "maintenance"`) {
		t.Errorf("/status.json lacks the gate:\n%s", js)
	}
	if m, err := cl.EndMaintenance(ctx, "app"); err != nil || m.Active() || m.Answered != 1 {
		t.Errorf("maintenance off: %+v, %v", m, err)
	}
}

func fetchStatusPage(t *testing.T, g *testGateway) string {
	t.Helper()
	code, page, _ := adminDo(t, "GET", g.AdminURL+"/status", testToken, "")
	if code != 200 {
		t.Fatalf("status page: %d", code)
	}
	return page
}
