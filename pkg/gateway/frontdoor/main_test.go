// Package frontdoor tests roll's gateway as the internet-facing front door it replaces Apache httpd +
// mod_jk with, over raw sockets: the differential sends the same bytes to both in front of the same two
// real Tomcat 10.1 (AJP with a secret, jvmRoutes tomcat1 and tomcat2) and compares what comes back;
// the abuse suite attacks roll alone, each case followed by a health probe.
package frontdoor

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/gateway"
	"github.com/rollcd/roll/pkg/internal/apachetest"
	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

func TestMain(m *testing.M) { tomcattest.Main(m) }

// secret is the AJP connector secret of both Tomcats.
const secret = "frontdoor-ajp-secret-0123456789"

// The routes of the two Tomcats: session ids end in "." + route.
const (
	route1 = "tomcat1"
	route2 = "tomcat2"
)

// tomcats returns the two Tomcats every test of the package shares.
func tomcats(t *testing.T) [2]*tomcattest.Tomcat {
	t.Helper()
	tomcattest.Require(t)
	return [2]*tomcattest.Tomcat{
		tomcattest.Shared(t, tomcattest.Options{Route: route1, Secret: secret}),
		tomcattest.Shared(t, tomcattest.Options{Route: route2, Secret: secret}),
	}
}

// startApache starts Apache httpd + mod_jk over both Tomcats for this test.
func startApache(t *testing.T, tcs [2]*tomcattest.Tomcat) *apachetest.Apache {
	t.Helper()
	var members []apachetest.Member
	for _, tc := range tcs {
		members = append(members, apachetest.Member{Address: tc.AJPAddr(), Secret: secret, Route: tc.Route()})
	}
	return apachetest.Start(t, apachetest.Options{Members: members})
}

// rollGateway is a roll gateway served by its real public server on loopback.
type rollGateway struct {
	*gateway.Gateway
	addr string // the public listener
}

// startRoll serves a gateway (cfg changed by mod, if given) with service "app" over both Tomcats:
// AJP with the secret, path prefix /app, both active with their routes. It stops when the test ends.
func startRoll(t *testing.T, tcs [2]*tomcattest.Tomcat, mod func(*gateway.Config)) *rollGateway {
	t.Helper()
	cfg := gateway.Config{AdminToken: "frontdoor-admin-token"}
	if mod != nil {
		mod(&cfg)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	err = g.PutService(context.Background(), admin.ServiceSpec{
		Name:         "app",
		Protocol:     admin.AJP,
		Secret:       secret,
		PathPrefixes: []string{"/app"},
		Health:       admin.HealthSpec{Path: "/app/health.jsp", Interval: admin.Duration(time.Second)},
	})
	if err != nil {
		t.Fatalf("PutService(app): %v", err)
	}
	for _, tc := range tcs {
		_, err := g.AddBackend(context.Background(), "app", admin.BackendSpec{Name: tc.Route(), Address: tc.AJPAddr(), Route: tc.Route(), Activation: admin.Active})
		if err != nil {
			t.Fatalf("AddBackend(app, %s): %v", tc.Route(), err)
		}
	}
	pub := listen(t)
	adm := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, pub, adm) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway.Serve: %v", err)
		}
	})
	return &rollGateway{Gateway: g, addr: pub.Addr().String()}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
