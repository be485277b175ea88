package commands

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/pkg/gateway"
)

// gatewayConfigOf runs the gateway command's flag parsing on args and returns the config, or
// the error gatewayConfig gave.
func gatewayConfigOf(t *testing.T, args ...string) (gateway.Config, error) {
	t.Helper()
	t.Setenv("ROLL_ADMIN_TOKEN_FILE", "")
	t.Setenv("ROLL_ADMIN_TOKEN", "")
	app := newApp("test")
	var got gateway.Config
	var cfgErr error
	for i, c := range app.Commands {
		if c.Name == "gateway" {
			cmd := *c
			cmd.Action = func(c *cli.Context) error {
				got, cfgErr = gatewayConfig(c)
				return nil
			}
			app.Commands[i] = &cmd
		}
	}
	if err := app.RunContext(context.Background(), append([]string{"roll", "gateway", "--admin-token", "x-123456789"}, args...)); err != nil {
		t.Fatal(err)
	}
	return got, cfgErr
}

func TestGatewayTLSFlagsReachTheConfig(t *testing.T) {
	got, err := gatewayConfigOf(t, "--tls-listen", ":8443", "--tls-cert", "/c/a.crt,/c/a.key", "--tls-cert", "/c/b.pem,/c/b-key.pem",
		"--tls-cert-dir", "/certs", "--tls-default-host", "shop.test", "--tls-reload-interval", "0", "--tls-handshake-timeout", "3s",
		"--tls-max-handshakes", "64", "--tls-client-auth", "optional", "--tls-client-ca", "/c/ca.pem", "--http2=false",
		"--http2-max-streams", "50", "--hsts", "8760h", "--redirect-https", "--https-port", "8443")
	if err != nil {
		t.Fatal(err)
	}
	want := &gateway.TLSConfig{
		Listen: ":8443", Certs: []gateway.CertFiles{{Cert: "/c/a.crt", Key: "/c/a.key"}, {Cert: "/c/b.pem", Key: "/c/b-key.pem"}},
		CertDir: "/certs", DefaultHost: "shop.test", ReloadInterval: -1, HandshakeTimeout: 3 * time.Second, MaxHandshakes: 64,
		ClientAuth: gateway.ClientAuthOptional, ClientCAFile: "/c/ca.pem", DisableHTTP2: true, HTTP2MaxStreams: 50,
		HSTS: 8760 * time.Hour, RedirectHTTP: true, HTTPSPort: 8443,
	}
	if !reflect.DeepEqual(got.TLS, want) {
		t.Fatalf("TLS config from flags:\n%+v\nwant\n%+v", got.TLS, want)
	}
	if got, _ := gatewayConfigOf(t); got.TLS != nil {
		t.Fatalf("without --tls-listen: TLS %+v, want none", got.TLS)
	}
	got, err = gatewayConfigOf(t, "--tls-listen", ":8443", "--state", "/var/lib/roll/state.json", "--acme-host", "shop.example,www.shop.example",
		"--acme-directory", "https://ca.example/dir", "--acme-email", "ops@shop.example", "--acme-ca-roots", "/c/roots.pem", "--acme-renew-before", "240h")
	if err != nil {
		t.Fatal(err)
	}
	wantACME := &gateway.ACMEConfig{Hosts: []string{"shop.example", "www.shop.example"}, DirectoryURL: "https://ca.example/dir",
		Email: "ops@shop.example", CacheDir: "/var/lib/roll/acme", CARootsFile: "/c/roots.pem", RenewBefore: 240 * time.Hour}
	if !reflect.DeepEqual(got.TLS.ACME, wantACME) {
		t.Fatalf("ACME config from flags:\n%+v\nwant\n%+v", got.TLS.ACME, wantACME)
	}
}

func TestGatewayTLSFlagMistakes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-listen", ":8443", "--tls-cert", "/c/a.crt"}, "CERT,KEY pairs"},
		{[]string{"--tls-cert", "/c/a.crt,/c/a.key"}, "--tls-cert without --tls-listen"},
		{[]string{"--redirect-https"}, "--redirect-https without --tls-listen"},
		{[]string{"--tls-listen", ":8443", "--acme-host", "shop.example"}, "--acme-cache or --state"},
		{[]string{"--tls-listen", ":8443", "--tls-cert-dir", "/c", "--acme-email", "a@b"}, "--acme-email without --acme-host"},
	} {
		_, err := gatewayConfigOf(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
}
