package gateway

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// certSource is where one certificate comes from: its PEM chain and its key.
type certSource struct {
	cert, key string
}

// sources lists the certificates to load: those named one by one, then CertDir's by name.
func (c *TLSConfig) sources() ([]certSource, error) {
	out := make([]certSource, 0, len(c.Certs))
	for _, f := range c.Certs {
		out = append(out, certSource{cert: f.Cert, key: f.Key})
	}
	if c.CertDir == "" {
		return out, nil
	}
	found, err := dirSources(c.CertDir)
	if err != nil {
		return nil, err
	}
	return append(out, found...), nil
}

// dirSources finds the certificates of dir by its convention: NAME.crt with NAME.key beside
// it, and NAME/fullchain.pem with NAME/privkey.pem (certbot's live directory, whose symlinks
// are followed). Hidden names are skipped (a Kubernetes secret's ..data). A NAME.crt without
// its key is listed all the same, so that loading it names the missing file.
func dirSources(dir string) ([]certSource, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the certificate directory: %w", err)
	}
	var out []certSource
	for _, e := range entries { // sorted by name
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		if strings.HasSuffix(name, ".crt") {
			out = append(out, certSource{cert: path, key: strings.TrimSuffix(path, ".crt") + ".key"})
			continue
		}
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			chain := filepath.Join(path, "fullchain.pem")
			if _, err := os.Stat(chain); err == nil {
				out = append(out, certSource{cert: chain, key: filepath.Join(path, "privkey.pem")})
			}
		}
	}
	return out, nil
}

// loadedCert is a certificate the listener can serve, with the bytes it was parsed from.
type loadedCert struct {
	src             certSource
	certPEM, keyPEM []byte
	cert            *tls.Certificate
	names           []string // the DNS names it is valid for, lower case ("*.example.com" for a wildcard)
	notAfter        time.Time
}

// loadCert reads and parses src. When the files hold the bytes prev was parsed from, prev is
// returned as it is (changed false): a reload touches only what changed.
func loadCert(src certSource, prev *loadedCert, now time.Time) (lc *loadedCert, changed bool, err error) {
	certPEM, err := os.ReadFile(src.cert)
	if err != nil {
		return nil, false, fmt.Errorf("reading the certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(src.key)
	if err != nil {
		return nil, false, fmt.Errorf("reading the key of certificate %s: %w", src.cert, err)
	}
	if prev != nil && bytes.Equal(prev.certPEM, certPEM) && bytes.Equal(prev.keyPEM, keyPEM) {
		return prev, false, nil
	}
	lc, err = parseCert(src, certPEM, keyPEM, now)
	return lc, err == nil, err
}

// parseCert checks that the chain and the key belong together and that the certificate is
// valid now: one that expired or is not yet valid is an error, never served in place of a good one.
func parseCert(src certSource, certPEM, keyPEM []byte, now time.Time) (*loadedCert, error) {
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("loading certificate %s with key %s: %w", src.cert, src.key, err)
	}
	leaf := c.Leaf
	if now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("loading certificate %s: it expired at %s", src.cert, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return nil, fmt.Errorf("loading certificate %s: it is not valid before %s", src.cert, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	names := make([]string, 0, len(leaf.DNSNames))
	for _, n := range leaf.DNSNames {
		names = append(names, strings.ToLower(strings.TrimSuffix(n, ".")))
	}
	return &loadedCert{src: src, certPEM: certPEM, keyPEM: keyPEM, cert: &c, names: names, notAfter: leaf.NotAfter}, nil
}
