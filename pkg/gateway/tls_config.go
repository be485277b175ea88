package gateway

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of TLSConfig and of the `roll gateway --tls-*` flags.
const (
	DefaultTLSReloadInterval   = 10 * time.Second
	DefaultTLSHandshakeTimeout = 10 * time.Second
	// DefaultTLSMaxHandshakes bounds the handshakes in progress: past it the oldest is cut, so a
	// flood of half-open handshakes costs a bounded number of goroutines and delays nobody.
	DefaultTLSMaxHandshakes = 512
	// DefaultHTTP2MaxStreams is the concurrent streams one HTTP/2 client may open (Apache's
	// H2MaxSessionStreams).
	DefaultHTTP2MaxStreams = 100
	DefaultHTTPSPort       = 443
)

// ClientAuth says whether the TLS listener asks clients for a certificate.
type ClientAuth string

// The client certificate policies. Both that ask verify the certificate against
// TLSConfig.ClientCAFile: a certificate the gateway passes on to the app (over AJP as
// jakarta.servlet.request.X509Certificate) is one it checked, never just one a client showed.
const (
	ClientAuthNone     ClientAuth = "none"     // no certificate is asked for
	ClientAuthOptional ClientAuth = "optional" // asked for; a client without one is served, one with a bad one refused
	ClientAuthRequire  ClientAuth = "require"  // a valid certificate is needed for the handshake
)

// String returns the policy as written in the flag.
func (c ClientAuth) String() string { return string(c) }

// CertFiles is one PEM certificate (its chain, leaf first) and its private key.
type CertFiles struct {
	Cert string
	Key  string
}

// TLSConfig turns on the gateway's TLS listener. Certificates come from files (Certs and the
// directory CertDir), each serving the DNS names it is valid for (SNI); they are read again
// every ReloadInterval and on Gateway.ReloadCertificates, and a file that fails to load keeps
// the certificate it had.
type TLSConfig struct {
	Listen string // the TLS listener, host:port

	Certs []CertFiles // certificates named one by one
	// CertDir holds certificates by convention: NAME.crt with NAME.key, or NAME/fullchain.pem
	// with NAME/privkey.pem (certbot's live directory). Pairs added or removed are picked up
	// at the next reload.
	CertDir string
	// DefaultHost names the certificate for clients that send no server name (SNI), or one no
	// certificate is for. Empty: the first of Certs, else the first of CertDir by name.
	DefaultHost string
	// ReloadInterval is how often the files are checked for changes; < 0 only on
	// Gateway.ReloadCertificates (SIGHUP).
	ReloadInterval time.Duration

	HandshakeTimeout time.Duration // the whole handshake, from the connection's accept
	MaxHandshakes    int           // handshakes in progress at once; one more cuts the oldest

	ClientAuth   ClientAuth // none (default), optional, require
	ClientCAFile string     // PEM CAs that client certificates must chain to

	// ACME, when set, gets the certificates of its hosts automatically; the files serve the rest.
	ACME *ACMEConfig

	DisableHTTP2    bool // offer http/1.1 only in ALPN
	HTTP2MaxStreams int  // concurrent streams per HTTP/2 connection

	// HSTS, when > 0, sends Strict-Transport-Security with this max-age on every TLS answer.
	HSTS time.Duration
	// RedirectHTTP makes the plain listener answer every request with a 308 to the same URL
	// over https (on HTTPSPort), instead of serving it.
	RedirectHTTP bool
	HTTPSPort    int // the port clients reach the TLS listener on, for redirects; default 443
}

func (c *TLSConfig) applyDefaults() {
	if c.ReloadInterval == 0 {
		c.ReloadInterval = DefaultTLSReloadInterval
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultTLSHandshakeTimeout
	}
	if c.MaxHandshakes <= 0 {
		c.MaxHandshakes = DefaultTLSMaxHandshakes
	}
	if c.ClientAuth == "" {
		c.ClientAuth = ClientAuthNone
	}
	if c.HTTP2MaxStreams <= 0 {
		c.HTTP2MaxStreams = DefaultHTTP2MaxStreams
	}
	if c.HTTPSPort <= 0 {
		c.HTTPSPort = DefaultHTTPSPort
	}
}

// ErrNoCertificates is returned by New when TLS is on without a certificate to serve.
var ErrNoCertificates = errors.New("no TLS certificate: give --tls-cert CERT,KEY, --tls-cert-dir DIR or --acme-host NAME")

func (c *TLSConfig) validate() error {
	if c.Listen == "" {
		return errors.New("checking the TLS settings: no TLS listen address")
	}
	if len(c.Certs) == 0 && c.CertDir == "" && c.ACME == nil {
		return ErrNoCertificates
	}
	if c.ACME != nil {
		if err := c.ACME.validate(); err != nil {
			return err
		}
	}
	for _, f := range c.Certs {
		if f.Cert == "" || f.Key == "" {
			return fmt.Errorf("checking the TLS settings: certificate %q with key %q: both files are needed", f.Cert, f.Key)
		}
	}
	switch c.ClientAuth {
	case ClientAuthNone:
		if c.ClientCAFile != "" {
			return errors.New("checking the TLS settings: a client CA file without client authentication: set it to optional or require")
		}
	case ClientAuthOptional, ClientAuthRequire:
		if c.ClientCAFile == "" {
			return fmt.Errorf("checking the TLS settings: client authentication %s needs the CAs that client certificates must chain to (--tls-client-ca)", c.ClientAuth)
		}
	default:
		return fmt.Errorf("checking the TLS settings: client authentication %q: want none, optional or require", c.ClientAuth)
	}
	if c.HTTPSPort > 65535 {
		return fmt.Errorf("checking the TLS settings: https port %d is out of range", c.HTTPSPort)
	}
	return nil
}
