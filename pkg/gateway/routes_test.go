package gateway

import (
	"net/http"
	"testing"

	"github.com/rollcd/roll/pkg/admin"
)

func TestRoutingByHostThenLongestPrefix(t *testing.T) {
	g := newTestGateway(t, nil)
	backends := map[string]*nameBackend{}
	add := func(name string, hosts, prefixes []string) {
		spec := httpService(name)
		spec.Hosts, spec.PathPrefixes = hosts, prefixes
		mustPut(t, g, spec)
		backends[name] = startNameBackend(t, name)
		mustAdd(t, g, name, admin.BackendSpec{Name: name, Address: backends[name].addr()})
	}
	add("root", nil, nil)
	add("app", nil, []string{"/app"})
	add("appdeep", nil, []string{"/app/admin/"})
	add("exact", []string{"shop.example.com"}, []string{"/app"})
	add("wild", []string{"*.example.com"}, []string{"/"})

	cases := []struct{ host, path, want string }{
		{"other.test", "/", "root"},
		{"other.test", "/app", "app"},
		{"other.test", "/app/x.jsp", "app"},
		{"other.test", "/app;jsessionid=A.b", "app"},
		{"other.test", "/apple", "root"},
		{"other.test", "/app/admin", "appdeep"},
		{"other.test", "/app/admin/x", "appdeep"},
		{"shop.example.com", "/app/x", "exact"},
		{"SHOP.example.com:8080", "/app/x", "exact"},
		{"shop.example.com", "/other", "wild"},
		{"a.b.example.com", "/app", "wild"},
		{"example.com", "/app", "app"},
	}
	for _, c := range cases {
		s := g.routes.Load().match(c.host, c.path)
		if s == nil || s.name != c.want {
			got := "<nil>"
			if s != nil {
				got = s.name
			}
			t.Errorf("%s%s routed to %s, want %s", c.host, c.path, got, c.want)
		}
	}
	// Through the proxy, with a real backend answering.
	if code, body := get(t, g.URL+"/app/admin/page", ""); code != 200 || body != "appdeep" {
		t.Fatalf("GET /app/admin/page = %d %q", code, body)
	}
}

func TestNoRouteIs404AndConflictsAreRefused(t *testing.T) {
	g := newTestGateway(t, nil)
	spec := httpService("app")
	spec.PathPrefixes = []string{"/app"}
	mustPut(t, g, spec)
	if code, body := get(t, g.URL+"/nothing", ""); code != http.StatusNotFound || body == "" {
		t.Fatalf("unrouted path: %d %q, want 404 with a short body", code, body)
	}
	if code, _ := get(t, g.URL+"/app", ""); code != http.StatusServiceUnavailable {
		t.Fatalf("service without backends: %d, want 503", code)
	}
	other := httpService("other")
	other.PathPrefixes = []string{"/app/"}
	if err := g.PutService(t.Context(), other); err == nil {
		t.Fatal("a second service on the same host and prefix was accepted")
	}
}
