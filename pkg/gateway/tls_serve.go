package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"

	"github.com/rollcd/roll/pkg/h1"
)

// tlsState is what the gateway holds for its TLS listener: the certificates and the
// handshake settings, made by New.
type tlsState struct {
	certs             *certStore
	acme              *acmeCerts // nil without TLSConfig.ACME
	conf              *tls.Config
	handshakeFailures atomic.Uint64
}

// getCertificate is the tls.Config's: an ACME host's from autocert (which also answers its
// tls-alpn-01 challenges), any other name's from the files.
func (t *tlsState) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if t.acme != nil && t.acme.serves(hello.ServerName) {
		return t.acme.getCertificate(hello)
	}
	return t.certs.getCertificate(hello)
}

// setupTLS loads the certificates and client CAs of cfg.TLS and starts their reloading.
func (g *Gateway) setupTLS() error {
	tc := g.cfg.TLS
	certs, err := newCertStore(tc, g.log)
	if err != nil {
		return fmt.Errorf("loading the TLS certificates: %w", err)
	}
	state := &tlsState{certs: certs}
	conf := &tls.Config{
		MinVersion:     tls.VersionTLS12, // and Go's default cipher suites: AEAD with forward secrecy first
		GetCertificate: state.getCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
	if tc.DisableHTTP2 {
		conf.NextProtos = []string{"http/1.1"}
	}
	if tc.ACME != nil {
		if state.acme, err = newACMECerts(tc.ACME, g.log); err != nil {
			return err
		}
		conf.NextProtos = append(conf.NextProtos, acmeALPN)
	}
	if tc.ClientAuth != ClientAuthNone {
		pool, err := loadPool(tc.ClientCAFile, "the client CAs")
		if err != nil {
			return err
		}
		conf.ClientCAs = pool
		conf.ClientAuth = tls.VerifyClientCertIfGiven
		if tc.ClientAuth == ClientAuthRequire {
			conf.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	state.conf = conf
	g.tls = state
	if state.acme != nil {
		g.goBackground(state.acme.issue)
	}
	if tc.ReloadInterval > 0 {
		g.goBackground(func(ctx context.Context) { certs.watch(ctx, tc.ReloadInterval) })
	}
	for _, lc := range certs.table.Load().certs {
		g.log.Info("TLS certificate loaded", "cert", lc.src.cert, "names", lc.names, "not_after", lc.notAfter)
	}
	return nil
}

// loadPool reads a PEM file of CA certificates; what names them in errors.
func loadPool(file, what string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("reading %s from %s: no PEM certificate in it", what, file)
	}
	return pool, nil
}

// ErrNoTLS is returned by ReloadCertificates when the gateway has no TLS listener.
var ErrNoTLS = errors.New("the gateway serves no TLS")

// ReloadCertificates reads the certificate files again now (what SIGHUP does), as the
// periodic check does: what loads replaces what was served, what fails keeps its last good
// version. It returns the problems, each naming its file.
func (g *Gateway) ReloadCertificates() error {
	if g.tls == nil {
		return ErrNoTLS
	}
	return g.tls.certs.reload()
}

// tlsServers serve the TLS listener: the front door does the handshakes, h1 the HTTP/1.1
// connections, h2 the HTTP/2 ones.
type tlsServers struct {
	door *tlsFrontDoor
	h1   *h1.Server
	h2   *http.Server
}

// startTLS serves l with TLS until shutdown; errc gets each server's end.
func (g *Gateway) startTLS(l net.Listener, base *h1.Server, errc chan<- error) *tlsServers {
	handler := g.Handler()
	if d := g.cfg.TLS.HSTS; d > 0 {
		handler = hsts(handler, d)
	}
	s := &tlsServers{
		door: newTLSFrontDoor(l, g.tls.conf, g.cfg.TLS, g.log, &g.tls.handshakeFailures),
		h1: &h1.Server{
			Handler:           handler,
			ReadHeaderTimeout: base.ReadHeaderTimeout,
			IdleTimeout:       base.IdleTimeout,
			BodyReadTimeout:   base.BodyReadTimeout,
			WriteTimeout:      base.WriteTimeout,
			MaxHeaderBytes:    base.MaxHeaderBytes,
			ConnContext:       tlsConnContext,
			Logger:            g.log,
		},
	}
	s.h2 = g.newH2Server(handler) // which adapts HTTP/2 requests with h2Request
	go func() { errc <- serveUntilClosed(func(net.Listener) error { return s.door.serve() }, l) }()
	go func() { errc <- serveUntilClosed(s.h1.Serve, s.door.h1) }()
	go func() { errc <- serveUntilClosed(s.h2.Serve, s.door.h2) }()
	return s
}

// shutdown stops the handshakes, then lets both servers finish their requests.
func (s *tlsServers) shutdown(ctx context.Context) error {
	s.door.close()
	return errors.Join(s.h1.Shutdown(ctx), s.h2.Shutdown(ctx))
}
