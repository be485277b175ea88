package gateway

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// TestPauseSurvivesARestart: a gateway killed while a service is paused comes back paused,
// until the same moment and with the same cap, and holds again; a resume is saved too.
func TestPauseSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	g1, _ := pausedApp(t, func(c *Config) { c.StatePath = path })
	before, err := g1.Pause(t.Context(), "app", admin.PauseRequest{Max: admin.Duration(40 * time.Second), MaxHeld: 7})
	if err != nil {
		t.Fatal(err)
	}
	// g1 is never closed before g2 reads the file: as after kill -9.
	g2 := newTestGateway(t, func(c *Config) { c.StatePath = path })
	after := pauseOf(t, g2, "app")
	if !after.Active() || !after.Since.Equal(before.Since) || !after.Until.Equal(before.Until) || after.MaxHeld != 7 {
		t.Fatalf("restored pause %+v, want %+v", after, before)
	}
	held := getAsync(g2.URL+"/x", nil)
	heldIs(t, g2, "app", 1)
	if _, err := g2.Resume(t.Context(), "app"); err != nil {
		t.Fatal(err)
	}
	if r := await(t, held, 5*time.Second); r.status != 200 || r.body != "a" {
		t.Fatalf("held by the restarted gateway: %d %q", r.status, r.body)
	}
	g3 := newTestGateway(t, func(c *Config) { c.StatePath = path })
	if st, _ := g3.Service(t.Context(), "app"); st.Pause != nil {
		t.Errorf("the resume was not saved: %+v", st.Pause)
	}
}

// TestMaintenanceSurvivesARestart: maintenance comes back with its message and start.
func TestMaintenanceSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	g1, _ := pausedApp(t, func(c *Config) { c.StatePath = path })
	before, err := g1.StartMaintenance(t.Context(), "app", admin.MaintenanceSpec{Message: hostileMessage, RetryAfter: admin.Duration(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	g2 := newTestGateway(t, func(c *Config) { c.StatePath = path })
	after := maintOf(t, g2)
	if !after.Active() || !after.Since.Equal(before.Since) || after.Message != hostileMessage || after.RetryAfter != admin.Duration(time.Minute) {
		t.Fatalf("restored maintenance %+v, want %+v", after, before)
	}
	if code, body := get(t, g2.URL+"/x", ""); code != 503 || !strings.Contains(body, hostileMessage) {
		t.Fatalf("restarted gateway: %d %q", code, body)
	}
	if _, err := g2.EndMaintenance(t.Context(), "app"); err != nil {
		t.Fatal(err)
	}
	g3 := newTestGateway(t, func(c *Config) { c.StatePath = path })
	if code, _ := get(t, g3.URL+"/x", ""); code != 200 {
		t.Errorf("maintenance off was not saved: %d", code)
	}
}

// TestGateStateIsUntrusted: a pause whose max passed while the gateway was down is over (and
// says so); a pause or maintenance the admin API would have refused is dropped, and costs
// only itself: its service is restored and serves.
func TestGateStateIsUntrusted(t *testing.T) {
	a := startNameBackend(t, "a")
	now := time.Now().UTC()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	svc := func(name, gate string) string {
		return fmt.Sprintf(`{"spec":{"name":%q,"protocol":"http","path_prefixes":["/%s"]},"backends":[{"spec":{"name":"a","address":%q}}]%s}`,
			name, name, a.addr(), gate)
	}
	file := `{"version":1,"services":[` + strings.Join([]string{
		svc("expired", fmt.Sprintf(`,"pause":{"since":%q,"until":%q,"max_held":5}`, at(-time.Hour), at(-time.Minute))),
		svc("notobject", `,"pause":"held"`),
		svc("nocap", fmt.Sprintf(`,"pause":{"since":%q,"until":%q,"max_held":0}`, at(-time.Second), at(time.Minute))),
		svc("forever", fmt.Sprintf(`,"pause":{"since":%q,"until":%q,"max_held":5}`, at(-time.Second), at(48*time.Hour))),
		svc("escape", `,"maintenance":{"message":"\u001b[2J gone","since":"`+at(-time.Second)+`"}`),
		svc("paused", fmt.Sprintf(`,"pause":{"since":%q,"until":%q,"max_held":5}`, at(-time.Second), at(time.Minute))),
	}, ",") + `]}`
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	g := newTestGateway(t, func(c *Config) { c.StatePath = path })
	for _, name := range []string{"expired", "notobject", "nocap", "forever", "escape"} {
		if code, body := get(t, g.URL+"/"+name+"/x", ""); code != 200 || body != "a" {
			t.Errorf("service %s: %d %q, want it restored and serving", name, code, body)
		}
	}
	if st, _ := g.Service(t.Context(), "expired"); st.Pause == nil || st.Pause.Active() || st.Pause.EndedBy != admin.PauseEndedByMax {
		t.Errorf("the expired pause: %+v, want it shown as ended by its max", st.Pause)
	}
	if st := pauseOf(t, g, "paused"); !st.Active() || st.MaxHeld != 5 {
		t.Errorf("the good pause: %+v", st)
	}
}
