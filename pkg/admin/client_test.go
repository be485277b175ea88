package admin

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestClientUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more
	c := NewClient("http://"+addr, testToken)
	_, err = c.Services(t.Context())
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error = %v, want ErrUnavailable", err)
	}
	for _, want := range []string{"gateway admin API at http://" + addr + " is unreachable", "connection refused", "is the gateway running and is this its admin address"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not say %q", err, want)
		}
	}
	var ne *net.OpError
	if !errors.As(err, &ne) {
		t.Errorf("error %v does not keep the network cause", err)
	}
	if err := c.Healthz(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Healthz = %v, want ErrUnavailable", err)
	}
}

func TestClientWrongToken(t *testing.T) {
	srv := serve(t, newFake())
	c := NewClient(srv.URL, "stale-token")
	_, err := c.Service(t.Context(), "app")
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("error = %v, want ErrUnauthorized", err)
	}
	for _, want := range []string{"gateway admin API at " + srv.URL + " refused the call", "the admin token is wrong", "check ROLL_ADMIN_TOKEN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not say %q", err, want)
		}
	}
	var we *Error
	if !errors.As(err, &we) || we.Code != "unauthorized" {
		t.Errorf("error %v does not carry the wire error", err)
	}
	if err := c.Healthz(t.Context()); err != nil {
		t.Errorf("Healthz needs no token, got %v", err)
	}
}

func TestClientNotTheAdminAPI(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"404 page", 404, "404 page not found", ErrUnavailable},
		{"502 from a proxy", 502, "<html>bad gateway</html>", ErrUnavailable},
		{"401 without a body", 401, "", ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serveFunc(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			_, err := NewClient(srv.URL, testToken).Service(t.Context(), "app")
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if tt.want == ErrUnavailable && (!strings.Contains(err.Error(), "is that address the roll gateway's admin port?") || !strings.Contains(err.Error(), tt.body)) {
				t.Errorf("message %q does not quote the answer and ask about the port", err)
			}
		})
	}
}

func TestClientGarbledAnswer(t *testing.T) {
	srv := serveFunc(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"name":`))
	})
	_, err := NewClient(srv.URL, testToken).Service(t.Context(), "app")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "reading the answer") {
		t.Fatalf("error = %v, want ErrUnavailable about the answer", err)
	}
}

func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := serveFunc(t, func(w http.ResponseWriter, r *http.Request) {
		select { // hold the answer until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	_, err := NewClient(srv.URL, testToken, WithTimeout(50*time.Millisecond)).Services(t.Context())
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "did not answer within 50ms") {
		t.Fatalf("error = %v, want ErrUnavailable about the timeout", err)
	}
}

func TestClientBaseURL(t *testing.T) {
	srv := serve(t, newFake())
	for _, base := range []string{srv.URL, srv.URL + "/", strings.TrimPrefix(srv.URL, "http://")} {
		c := NewClient(base, testToken)
		if c.BaseURL() != srv.URL {
			t.Errorf("NewClient(%q).BaseURL() = %q, want %q", base, c.BaseURL(), srv.URL)
		}
		if err := c.Healthz(t.Context()); err != nil {
			t.Errorf("NewClient(%q).Healthz(t.Context()) = %v", base, err)
		}
	}
	_, err := NewClient("http://bad host:1", testToken).Services(t.Context())
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not a usable URL") {
		t.Errorf("a bad base URL: %v, want ErrInvalid", err)
	}
}

func TestClientRefusesEmptyNames(t *testing.T) {
	// No server: the client must refuse before sending anything.
	c := NewClient("http://127.0.0.1:1", testToken)
	checks := map[string]error{
		"Service":       func() error { _, err := c.Service(t.Context(), ""); return err }(),
		"PutService":    c.PutService(t.Context(), ServiceSpec{Protocol: HTTP}),
		"DeleteService": c.DeleteService(t.Context(), ""),
		"AddBackend":    func() error { _, err := c.AddBackend(t.Context(), "", BackendSpec{}); return err }(),
		"UpdateBackend": func() error { _, err := c.UpdateBackend(t.Context(), "app", "", BackendPatch{}); return err }(),
		"RemoveBackend": c.RemoveBackend(t.Context(), "", "x"),
		"Deploys":       func() error { _, err := c.Deploys(t.Context(), ""); return err }(),
		"RecordDeploy":  c.RecordDeploy(t.Context(), DeployRecord{ID: "x"}),
		"Handoff":       c.Handoff(t.Context(), "", HandoffReply{Rollout: "x"}),
		"Rollout":       func() error { _, err := c.Rollout(t.Context(), "", rolloutReq, nil); return err }(),
		"Switch":        c.Switch(t.Context(), "", SwitchReply{Rollout: "x"}),
		"Pause":         func() error { _, err := c.Pause(t.Context(), "", PauseRequest{}); return err }(),
		"Resume":        func() error { _, err := c.Resume(t.Context(), ""); return err }(),
		"StartMaint":    func() error { _, err := c.StartMaintenance(t.Context(), "", MaintenanceSpec{Message: "x"}); return err }(),
		"EndMaint":      func() error { _, err := c.EndMaintenance(t.Context(), ""); return err }(),
	}
	for method, err := range checks {
		if !errors.Is(err, ErrInvalid) || errors.Is(err, ErrUnavailable) {
			t.Errorf("%s with an empty name: %v, want ErrInvalid before any call", method, err)
		}
	}
}

func TestClientEscapesNames(t *testing.T) {
	f := newFake()
	c, _ := clientFor(t, f)
	if err := c.PutService(t.Context(), ServiceSpec{Name: "my app", Protocol: HTTP}); err != nil {
		t.Fatal(err)
	}
	b, err := c.AddBackend(t.Context(), "my app", BackendSpec{Name: "web/1?x#y", Address: "10.0.0.9:80"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateBackend(t.Context(), "my app", b.Name, BackendPatch{Weight: weight(2)}); err != nil {
		t.Fatalf("updating %q: %v", b.Name, err)
	}
	st, err := c.Service(t.Context(), "my app")
	if err != nil || len(st.Backends) != 1 || st.Backends[0].Name != "web/1?x#y" || st.Backends[0].Weight != 2 {
		t.Fatalf("Service(my app) = %+v, %v", st, err)
	}
	if err := c.RemoveBackend(t.Context(), "my app", b.Name); err != nil {
		t.Fatalf("removing %q: %v", b.Name, err)
	}
}

// A cancelled context ends a call at once, whatever the client's own timeout: Ctrl-C during
// a deploy must not wait out a stuck gateway.
func TestClientCallsFollowTheirContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c := NewClient(srv.URL, testToken, WithTimeout(time.Minute))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := c.Service(ctx, "app")
		done <- err
	}()
	time.AfterFunc(50*time.Millisecond, cancel)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled call returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling the context did not end the call")
	}
}
