package gateway

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestMetricsAndStatusJSON(t *testing.T) {
	g, _, _ := twoBackends(t)
	for range 4 {
		get(t, g.URL+"/", "")
	}
	// The client has its answer a moment before the proxy has finished its bookkeeping.
	var code int
	var body string
	eventually(t, 5*time.Second, "4 requests counted and none in flight", func() bool {
		code, body, _ = adminDo(t, "GET", g.AdminURL+"/metrics", testToken, "")
		return code != 200 || (strings.Contains(body, `roll_request_duration_seconds_count{service="app"} 4`+"\n") &&
			strings.Contains(body, `roll_backend_in_flight{service="app",backend="a"} 0`+"\n") &&
			strings.Contains(body, `roll_backend_in_flight{service="app",backend="b"} 0`+"\n"))
	})
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		"# TYPE roll_backend_requests_total counter",
		`roll_backend_requests_total{service="app",backend="a"} 2`,
		`roll_backend_requests_total{service="app",backend="b"} 2`,
		`roll_backend_errors_total{service="app",backend="a"} 0`,
		`roll_backend_in_flight{service="app",backend="a"} 0`,
		`roll_backend_sessions{service="app",backend="a"} 0`,
		`roll_backend_healthy{service="app",backend="a"} 1`,
		`roll_backend_activation{service="app",backend="a",activation="active"} 1`,
		`roll_backend_activation{service="app",backend="a",activation="draining"} 0`,
		"# TYPE roll_request_duration_seconds histogram",
		`roll_request_duration_seconds_bucket{service="app",le="+Inf"} 4`,
		`roll_request_duration_seconds_count{service="app"} 4`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	code, body, _ = adminDo(t, "GET", g.AdminURL+"/status.json", testToken, "")
	var st struct {
		Services []struct {
			Name     string `json:"name"`
			Secret   string `json:"secret"`
			Backends []struct {
				Name     string `json:"name"`
				Requests int    `json:"requests"`
			} `json:"backends"`
		} `json:"services"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != 200 {
		t.Fatalf("/status.json: %d %v", code, err)
	}
	if len(st.Services) != 1 || len(st.Services[0].Backends) != 2 || st.Services[0].Backends[0].Requests != 2 {
		t.Fatalf("/status.json: %s", body)
	}
}
