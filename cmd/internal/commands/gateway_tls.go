package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/pkg/gateway"
)

// tlsFlags are the flags of the gateway's TLS listener; --tls-listen turns it on.
func tlsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "tls-listen", EnvVars: []string{"ROLL_TLS_LISTEN"}, Category: "TLS", Usage: "serve HTTPS (and HTTP/2) on `ADDRESS` (host:port) too; needs --tls-cert or --tls-cert-dir"},
		&cli.StringSliceFlag{Name: "tls-cert", EnvVars: []string{"ROLL_TLS_CERTS"}, Category: "TLS", Usage: "a PEM certificate chain and its key, as `CERT,KEY`; repeat for more. Each serves the DNS names it is for (SNI)"},
		&cli.StringFlag{Name: "tls-cert-dir", EnvVars: []string{"ROLL_TLS_CERT_DIR"}, Category: "TLS", Usage: "load every NAME.crt with NAME.key, and NAME/fullchain.pem with NAME/privkey.pem (certbot's live/), from `DIR`"},
		&cli.StringFlag{Name: "tls-default-host", EnvVars: []string{"ROLL_TLS_DEFAULT_HOST"}, Category: "TLS", DefaultText: "the first certificate", Usage: "the certificate for clients without SNI is the one for `NAME`"},
		&cli.DurationFlag{Name: "tls-reload-interval", Value: gateway.DefaultTLSReloadInterval, EnvVars: []string{"ROLL_TLS_RELOAD_INTERVAL"}, Category: "TLS", Usage: "how often the certificate files are checked for changes (0: only on SIGHUP)"},
		&cli.DurationFlag{Name: "tls-handshake-timeout", Value: gateway.DefaultTLSHandshakeTimeout, EnvVars: []string{"ROLL_TLS_HANDSHAKE_TIMEOUT"}, Category: "TLS", Usage: "longest a TLS handshake may take"},
		&cli.IntFlag{Name: "tls-max-handshakes", Value: gateway.DefaultTLSMaxHandshakes, EnvVars: []string{"ROLL_TLS_MAX_HANDSHAKES"}, Category: "TLS", Usage: "TLS handshakes in progress at once; one more cuts the one that has waited longest"},
		&cli.StringFlag{Name: "tls-client-auth", Value: string(gateway.ClientAuthNone), EnvVars: []string{"ROLL_TLS_CLIENT_AUTH"}, Category: "TLS", Usage: "ask clients for a certificate: none, optional or require (checked against --tls-client-ca; Tomcat sees it as jakarta.servlet.request.X509Certificate)"},
		&cli.StringFlag{Name: "tls-client-ca", EnvVars: []string{"ROLL_TLS_CLIENT_CA"}, Category: "TLS", Usage: "PEM `FILE` of the CAs client certificates must chain to"},
		&cli.BoolFlag{Name: "http2", Value: true, EnvVars: []string{"ROLL_HTTP2"}, Category: "TLS", Usage: "offer HTTP/2 to TLS clients (ALPN h2); --http2=false offers HTTP/1.1 only"},
		&cli.IntFlag{Name: "http2-max-streams", Value: gateway.DefaultHTTP2MaxStreams, EnvVars: []string{"ROLL_HTTP2_MAX_STREAMS"}, Category: "TLS", Usage: "concurrent requests one HTTP/2 connection may have"},
		&cli.DurationFlag{Name: "hsts", EnvVars: []string{"ROLL_HSTS"}, Category: "TLS", DefaultText: "none", Usage: "send Strict-Transport-Security with this max-age on every TLS answer (e.g. 8760h)"},
		&cli.BoolFlag{Name: "redirect-https", EnvVars: []string{"ROLL_REDIRECT_HTTPS"}, Category: "TLS", Usage: "the plain listener answers every request with a 308 to https:// instead of serving it"},
		&cli.IntFlag{Name: "https-port", Value: gateway.DefaultHTTPSPort, EnvVars: []string{"ROLL_HTTPS_PORT"}, Category: "TLS", Usage: "the port clients reach HTTPS on (the published one), for --redirect-https"},
		&cli.StringSliceFlag{Name: "acme-host", EnvVars: []string{"ROLL_ACME_HOSTS"}, Category: "ACME", Usage: "get the certificate of `NAME` automatically (ACME, tls-alpn-01 on the TLS listener, which the CA must reach on port 443); repeat or comma-separate. Agrees to the ACME server's terms of service"},
		&cli.StringFlag{Name: "acme-directory", Value: gateway.DefaultACMEDirectory, EnvVars: []string{"ROLL_ACME_DIRECTORY"}, Category: "ACME", Usage: "the ACME server's directory `URL`"},
		&cli.StringFlag{Name: "acme-email", EnvVars: []string{"ROLL_ACME_EMAIL"}, Category: "ACME", Usage: "contact `ADDRESS` of the ACME account (the CA's expiry warnings)"},
		&cli.StringFlag{Name: "acme-cache", EnvVars: []string{"ROLL_ACME_CACHE"}, Category: "ACME", DefaultText: "acme/ beside --state", Usage: "`DIR` of the ACME account key and certificates; keep it on the state volume"},
		&cli.StringFlag{Name: "acme-ca-roots", EnvVars: []string{"ROLL_ACME_CA_ROOTS"}, Category: "ACME", Usage: "PEM `FILE` of the roots the ACME server's HTTPS certificate chains to (a private or test CA); default the system's"},
		&cli.DurationFlag{Name: "acme-renew-before", EnvVars: []string{"ROLL_ACME_RENEW_BEFORE"}, Category: "ACME", DefaultText: "a third of the lifetime, at most 30 days", Usage: "renew an ACME certificate this long before it expires"},
	}
}

// tlsConfig reads the TLS flags: nil when --tls-listen is not given, and then no other TLS
// flag may be.
func tlsConfig(c *cli.Context) (*gateway.TLSConfig, error) {
	if c.String("tls-listen") == "" {
		for _, f := range []string{"tls-cert", "tls-cert-dir", "tls-client-ca", "hsts", "redirect-https", "acme-host"} {
			if c.IsSet(f) {
				return nil, fmt.Errorf("--%s without --tls-listen: say where the gateway serves TLS", f)
			}
		}
		return nil, nil
	}
	files := c.StringSlice("tls-cert") // "CERT,KEY" values arrive split at the comma
	if len(files)%2 != 0 {
		return nil, fmt.Errorf("--tls-cert %q: want CERT,KEY pairs (the key file after each certificate)", files)
	}
	cfg := &gateway.TLSConfig{
		Listen:           c.String("tls-listen"),
		CertDir:          c.String("tls-cert-dir"),
		DefaultHost:      c.String("tls-default-host"),
		ReloadInterval:   c.Duration("tls-reload-interval"),
		HandshakeTimeout: c.Duration("tls-handshake-timeout"),
		MaxHandshakes:    c.Int("tls-max-handshakes"),
		ClientAuth:       gateway.ClientAuth(c.String("tls-client-auth")),
		ClientCAFile:     c.String("tls-client-ca"),
		DisableHTTP2:     !c.Bool("http2"),
		HTTP2MaxStreams:  c.Int("http2-max-streams"),
		HSTS:             c.Duration("hsts"),
		RedirectHTTP:     c.Bool("redirect-https"),
		HTTPSPort:        c.Int("https-port"),
	}
	for i := 0; i < len(files); i += 2 {
		cfg.Certs = append(cfg.Certs, gateway.CertFiles{Cert: files[i], Key: files[i+1]})
	}
	if cfg.ReloadInterval <= 0 {
		cfg.ReloadInterval = -1 // only on SIGHUP
	}
	acme, err := acmeConfig(c)
	if err != nil {
		return nil, err
	}
	cfg.ACME = acme
	return cfg, nil
}

// acmeConfig reads the ACME flags: nil without --acme-host, and then no other ACME flag may be.
func acmeConfig(c *cli.Context) (*gateway.ACMEConfig, error) {
	hosts := c.StringSlice("acme-host")
	if len(hosts) == 0 {
		for _, f := range []string{"acme-directory", "acme-email", "acme-cache", "acme-ca-roots", "acme-renew-before"} {
			if c.IsSet(f) {
				return nil, fmt.Errorf("--%s without --acme-host: name the hosts whose certificates ACME gets", f)
			}
		}
		return nil, nil
	}
	cache := c.String("acme-cache")
	if cache == "" && c.String("state") != "" {
		cache = filepath.Join(filepath.Dir(c.String("state")), "acme")
	}
	if cache == "" {
		return nil, errors.New("--acme-host without --acme-cache or --state: the account key and certificates need a directory that outlives the gateway")
	}
	return &gateway.ACMEConfig{
		Hosts: hosts, DirectoryURL: c.String("acme-directory"), Email: c.String("acme-email"), CacheDir: cache,
		CARootsFile: c.String("acme-ca-roots"), RenewBefore: c.Duration("acme-renew-before"),
	}, nil
}

// reloadOnHangup reloads the gateway's certificates at every SIGHUP until ctx ends, as Apache
// and nginx reload theirs. The signal never stops the gateway.
func reloadOnHangup(ctx context.Context, g *gateway.Gateway, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				switch err := g.ReloadCertificates(); {
				case errors.Is(err, gateway.ErrNoTLS):
					log.Info("SIGHUP: no TLS certificates to reload")
				case err != nil:
					log.Error("SIGHUP: TLS certificates reloaded, some kept their last good version", "err", err)
				default:
					log.Info("SIGHUP: TLS certificates reloaded")
				}
			}
		}
	}()
}
