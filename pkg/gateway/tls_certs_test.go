package gateway

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/internal/tlstest"
)

// Each host gets its own certificate by SNI (a wildcard for its subdomains); a client without
// SNI, or with a name no certificate is for, gets the default; nothing older than TLS 1.2 is spoken.
func TestTLSCertificatePerHost(t *testing.T) {
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	shopCert, shopKey := ca.Server(t, time.Time{}, "shop.test", "www.shop.test").Write(t, dir, "shop")
	ca.Server(t, time.Time{}, "*.blog.test").Write(t, dir, "blog") // found in the directory
	otherCert, otherKey := ca.Server(t, time.Time{}, "other.test").Write(t, t.TempDir(), "other")
	g := newTLSGateway(t, ca, func(c *Config) {
		c.TLS.Certs = []CertFiles{{Cert: shopCert, Key: shopKey}, {Cert: otherCert, Key: otherKey}}
		c.TLS.CertDir = dir // shop.crt again: the first for a name serves it
		c.TLS.DefaultHost = "other.test"
	})
	for _, tc := range []struct{ sni, want string }{
		{"shop.test", "shop.test"},
		{"WWW.Shop.Test.", "shop.test"},
		{"a.blog.test", "*.blog.test"},
		{"blog.test", "other.test"},     // a wildcard is for subdomains only
		{"x.a.blog.test", "other.test"}, // and one level of them
		{"unknown.test", "other.test"},
		{"", "other.test"},
	} {
		if got := g.handshake(t, tc.sni).DNSNames[0]; got != tc.want {
			t.Errorf("SNI %q: served the certificate for %s, want %s", tc.sni, got, tc.want)
		}
	}
	conn, err := tls.Dial("tcp", g.TLSAddr, &tls.Config{ServerName: "shop.test", RootCAs: ca.Pool(), MaxVersion: tls.VersionTLS11})
	if err == nil {
		conn.Close()
		t.Error("a TLS 1.1 client completed a handshake")
	}
	// The certificates verify for their names.
	conn, err = tls.Dial("tcp", g.TLSAddr, &tls.Config{ServerName: "www.shop.test", RootCAs: ca.Pool()})
	if err != nil {
		t.Fatalf("verified handshake for www.shop.test: %v", err)
	}
	conn.Close()
}

// At start there is no last good certificate: a bad one stops New with an error naming its file.
func TestTLSCertificateErrorsAtStart(t *testing.T) {
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	good, goodKey := ca.Server(t, time.Time{}, "shop.test").Write(t, dir, "good")
	other := ca.Server(t, time.Time{}, "other.test")
	expired := ca.Server(t, time.Now().Add(-time.Minute), "old.test")
	garbage := filepath.Join(dir, "garbage.pem")
	tlstest.WriteFile(t, garbage, []byte("not a certificate\n"))
	mismatched := filepath.Join(dir, "mismatched.key")
	tlstest.WriteFile(t, mismatched, other.KeyPEM)
	expiredCert, expiredKey := expired.Write(t, t.TempDir(), "expired")
	noKeyDir := t.TempDir()
	tlstest.WriteFile(t, filepath.Join(noKeyDir, "lonely.crt"), other.CertPEM)

	for _, tc := range []struct {
		name  string
		tls   TLSConfig
		wants []string
	}{
		{"garbage", TLSConfig{Certs: []CertFiles{{Cert: garbage, Key: goodKey}}}, []string{garbage, "PEM"}},
		{"key of another certificate", TLSConfig{Certs: []CertFiles{{Cert: good, Key: mismatched}}}, []string{good, mismatched, "private key does not match"}},
		{"missing file", TLSConfig{Certs: []CertFiles{{Cert: filepath.Join(dir, "nope.crt"), Key: goodKey}}}, []string{filepath.Join(dir, "nope.crt"), "no such file"}},
		{"expired", TLSConfig{Certs: []CertFiles{{Cert: expiredCert, Key: expiredKey}}}, []string{expiredCert, "expired"}},
		{"no key beside a .crt", TLSConfig{CertDir: noKeyDir}, []string{filepath.Join(noKeyDir, "lonely.key")}},
		{"empty directory", TLSConfig{CertDir: t.TempDir()}, []string{"no TLS certificate"}},
		{"no certificate for the default host", TLSConfig{Certs: []CertFiles{{Cert: good, Key: goodKey}}, DefaultHost: "else.test"}, []string{`"else.test"`}},
		{"client CA without client auth", TLSConfig{Certs: []CertFiles{{Cert: good, Key: goodKey}}, ClientCAFile: good}, []string{"client CA"}},
		{"client auth without CAs", TLSConfig{Certs: []CertFiles{{Cert: good, Key: goodKey}}, ClientAuth: ClientAuthRequire}, []string{"--tls-client-ca"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.tls.Listen = "127.0.0.1:0"
			_, err := New(Config{AdminToken: testToken, TLS: &tc.tls})
			if err == nil {
				t.Fatal("New started")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := New(Config{AdminToken: testToken, TLS: &TLSConfig{Listen: ":0"}}); !errors.Is(err, ErrNoCertificates) {
		t.Errorf("no certificates at all: %v, want ErrNoCertificates", err)
	}
}

// The directory convention: NAME.crt with NAME.key, and certbot's NAME/fullchain.pem with
// NAME/privkey.pem (symlinks followed); a pair added or removed is seen at the next reload.
func TestTLSCertificateDirectory(t *testing.T) {
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	ca.Server(t, time.Time{}, "flat.test").Write(t, dir, "flat")
	archive := t.TempDir()
	live := filepath.Join(dir, "certbot.test")
	if err := os.Mkdir(live, 0o700); err != nil {
		t.Fatal(err)
	}
	cb := ca.Server(t, time.Time{}, "certbot.test")
	tlstest.WriteFile(t, filepath.Join(archive, "fullchain1.pem"), cb.CertPEM)
	tlstest.WriteFile(t, filepath.Join(archive, "privkey1.pem"), cb.KeyPEM)
	for from, to := range map[string]string{"fullchain1.pem": "fullchain.pem", "privkey1.pem": "privkey.pem"} {
		if err := os.Symlink(filepath.Join(archive, from), filepath.Join(live, to)); err != nil {
			t.Fatal(err)
		}
	}
	tlstest.WriteFile(t, filepath.Join(dir, "README"), []byte("certificates for roll\n")) // ignored
	g := newTLSGateway(t, ca, func(c *Config) {
		c.TLS.CertDir = dir
		c.TLS.ReloadInterval = -1 // only when the test asks
	})
	for _, name := range []string{"flat.test", "certbot.test"} {
		if got := g.handshake(t, name).DNSNames[0]; got != name {
			t.Errorf("SNI %s: got the certificate for %s", name, got)
		}
	}
	// The default is the first by name: certbot.test sorts before flat.test.
	if got := g.handshake(t, "").DNSNames[0]; got != "certbot.test" {
		t.Errorf("no SNI: got %s, want certbot.test", got)
	}

	ca.Server(t, time.Time{}, "new.test").Write(t, dir, "new")
	for _, f := range []string{"flat.crt", "flat.key"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.ReloadCertificates(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got := g.handshake(t, "new.test").DNSNames[0]; got != "new.test" {
		t.Errorf("added pair: SNI new.test got %s", got)
	}
	if got := g.handshake(t, "flat.test").DNSNames[0]; got != "certbot.test" {
		t.Errorf("removed pair: SNI flat.test got %s, want the default", got)
	}
}
