package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// useFallbackRoots gives certificate verification Mozilla's roots where the system has none: the
// gateway's image is FROM scratch, without the CA roots that the ACME client needs to reach Let's
// Encrypt. It parses them only then (golang.org/x/crypto/x509roots/fallback would at every start:
// about 1 MiB of heap, and pointers for every collection to mark, in a gateway without ACME).
var useFallbackRoots = sync.OnceFunc(func() { x509.SetFallbackRoots(fallbackRoots()) })

func fallbackRoots() *x509.CertPool {
	pool := x509.NewCertPool()
	for r := range bundle.Roots() {
		cert, err := x509.ParseCertificate(r.Certificate)
		if err != nil {
			continue // cannot happen with the module's own bundle; one root less is no harm
		}
		if r.Constraint == nil {
			pool.AddCert(cert)
		} else {
			pool.AddCertWithConstraint(cert, r.Constraint)
		}
	}
	return pool
}

// DefaultACMEDirectory is Let's Encrypt's production directory, the ACME server used unless
// ACMEConfig.DirectoryURL names another.
const DefaultACMEDirectory = autocert.DefaultACMEDirectory

// ACMEConfig turns on automatic certificates (ACME, RFC 8555) for named hosts, through
// golang.org/x/crypto/acme/autocert: each is issued at start and renewed before it expires,
// with the tls-alpn-01 challenge on the TLS listener (the ACME server must reach it on port
// 443), and cached in CacheDir so a restart serves it at once. Using it agrees to the ACME
// server's terms of service.
type ACMEConfig struct {
	Hosts        []string // DNS names; no wildcards (they need dns-01)
	DirectoryURL string   // the ACME server's directory; default DefaultACMEDirectory
	Email        string   // the account's contact, for the CA's expiry warnings; may be empty
	CacheDir     string   // account key and certificates; on the gateway's state volume
	// CARootsFile, when set, holds the PEM roots that the ACME server's own HTTPS certificate
	// must chain to (a private CA, or a test server); default the system's.
	CARootsFile string
	// RenewBefore is how long before expiry a certificate is renewed; 0: a third of its
	// lifetime, at most 30 days (autocert's default).
	RenewBefore time.Duration
}

func (c *ACMEConfig) validate() error {
	if len(c.Hosts) == 0 {
		return errors.New("checking the ACME settings: no host to get a certificate for (--acme-host)")
	}
	for _, h := range c.Hosts {
		if h == "" || strings.ContainsAny(h, "*:/ ") || strings.HasSuffix(h, ".") {
			return fmt.Errorf("checking the ACME settings: host %q: want a DNS name such as shop.example.com (no wildcard, port or trailing dot)", h)
		}
	}
	if c.CacheDir == "" {
		return errors.New("checking the ACME settings: no cache directory (--acme-cache, or --state beside which it goes)")
	}
	return nil
}

// acmeCerts serves the ACME hosts' certificates and keeps them issued.
type acmeCerts struct {
	m     *autocert.Manager
	cache autocert.DirCache
	hosts map[string]bool
	log   *slog.Logger

	mu     sync.Mutex
	errors map[string]string // host → why its last issuance failed, for the status page
}

func newACMECerts(cfg *ACMEConfig, log *slog.Logger) (*acmeCerts, error) {
	client := &acme.Client{DirectoryURL: cfg.DirectoryURL, UserAgent: "roll-gateway"}
	if cfg.CARootsFile == "" {
		useFallbackRoots()
	} else {
		pool, err := loadPool(cfg.CARootsFile, "the ACME server's CA roots")
		if err != nil {
			return nil, err
		}
		client.HTTPClient = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		}}
	}
	if err := os.MkdirAll(cfg.CacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("making the ACME cache directory: %w", err)
	}
	a := &acmeCerts{cache: autocert.DirCache(cfg.CacheDir), hosts: map[string]bool{}, log: log, errors: map[string]string{}}
	for _, h := range cfg.Hosts {
		a.hosts[strings.ToLower(h)] = true
	}
	a.m = &autocert.Manager{
		Prompt:      autocert.AcceptTOS,
		Cache:       a.cache,
		HostPolicy:  autocert.HostWhitelist(cfg.Hosts...),
		RenewBefore: cfg.RenewBefore,
		Client:      client,
		Email:       cfg.Email,
	}
	return a, nil
}

// getCertificate is autocert's, bounded by the handshake: autocert may wait up to 5 minutes for
// an issuance, and a handshake must end within the handshake timeout, or with the front door.
func (a *acmeCerts) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	type result struct {
		cert *tls.Certificate
		err  error
	}
	done := make(chan result, 1)
	go func() {
		c, err := a.m.GetCertificate(hello)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		return r.cert, r.err
	case <-hello.Context().Done():
		return nil, fmt.Errorf("waiting for the ACME certificate of %q: %w", hello.ServerName, hello.Context().Err())
	}
}

// serves reports whether name is one of the ACME hosts.
func (a *acmeCerts) serves(name string) bool {
	return a.hosts[strings.ToLower(strings.TrimSuffix(name, "."))]
}

// issue gets every host's certificate (from the cache, or from the ACME server) right after the
// start, so no client's handshake waits for an issuance; a host that fails is tried again
// later, after 1 minute, doubling to an hour. autocert renews what it holds on its own timers.
func (a *acmeCerts) issue(ctx context.Context) {
	var wg sync.WaitGroup
	for host := range a.hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for wait := time.Minute; ; wait = min(2*wait, time.Hour) {
				// Close must not wait for an issuance in progress (up to autocert's 5 minutes):
				// one that outlives the gateway ends on its own.
				ready := make(chan bool, 1)
				go func() { ready <- a.issueOne(host) }()
				select {
				case ok := <-ready:
					if ok {
						return
					}
				case <-ctx.Done():
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}()
	}
	wg.Wait()
}

// issueOne asks autocert for host's certificate as a handshake would (autocert bounds an issuance
// by 5 minutes of its own), and reports whether one is ready.
func (a *acmeCerts) issueOne(host string) bool {
	// What a modern client offers, so that the ECDSA certificate is the one issued and cached.
	hello := &tls.ClientHelloInfo{
		ServerName:        host,
		CipherSuites:      []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		SignatureSchemes:  []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256},
		SupportedCurves:   []tls.CurveID{tls.CurveP256},
		SupportedVersions: []uint16{tls.VersionTLS13, tls.VersionTLS12},
	}
	cert, err := a.m.GetCertificate(hello)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.log.Error("ACME certificate not issued; trying again later", "host", host, "err", err)
		a.errors[host] = err.Error()
		return false
	}
	delete(a.errors, host)
	a.log.Info("ACME certificate ready", "host", host, "not_after", cert.Leaf.NotAfter)
	return true
}

// acmeStatus is one ACME host in /status.json and on the status page.
type acmeStatus struct {
	Host     string     `json:"host"`
	NotAfter *time.Time `json:"not_after,omitempty"` // of the cached certificate; none before the first issuance
	Error    string     `json:"error,omitempty"`     // why the last issuance failed
}

// status lists the hosts, sorted, with the expiry of the certificate cached for each and the
// last issuance error.
func (a *acmeCerts) status(ctx context.Context) []acmeStatus {
	out := make([]acmeStatus, 0, len(a.hosts))
	for host := range a.hosts {
		st := acmeStatus{Host: host}
		if data, err := a.cache.Get(ctx, host); err == nil {
			if t := cachedNotAfter(data); !t.IsZero() {
				st.NotAfter = &t
			}
		}
		a.mu.Lock()
		st.Error = a.errors[host]
		a.mu.Unlock()
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b acmeStatus) int { return strings.Compare(a.Host, b.Host) })
	return out
}

// cachedNotAfter reads the expiry of the leaf in an autocert cache entry (the key's PEM block,
// then the chain's); zero when there is none.
func cachedNotAfter(data []byte) time.Time {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return time.Time{}
		}
		if b.Type == "CERTIFICATE" {
			if c, err := x509.ParseCertificate(b.Bytes); err == nil {
				return c.NotAfter
			}
		}
	}
}

// acmeALPN is the protocol of a tls-alpn-01 challenge: a handshake that chose it is the
// validation itself, and carries no request.
const acmeALPN = acme.ALPNProto
