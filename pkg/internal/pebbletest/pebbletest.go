// Package pebbletest runs Pebble, Let's Encrypt's ACME test server, on loopback for the tests of
// the gateway's ACME certificates: a real ACME server with its own CA, built from its Go module
// (the Go module proxy must be reachable the first time; the binaries are kept in the user's
// cache directory), not a mock. Beside it runs pebble-challtestsrv, from the same module, as the
// DNS server Pebble resolves names with: every name is 127.0.0.1. PEBBLE_BIN_DIR names a
// directory holding both binaries to use instead.
package pebbletest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/internal/tlstest"
)

// Version is the Pebble release the tests run, from github.com/letsencrypt/pebble/v2.
const Version = "v2.10.3"

const module = "github.com/letsencrypt/pebble/v2/cmd/"

// Require returns the directory of the Pebble binaries, or stops the test when there are none: it
// fails under CI=true (CI must never pass by skipping) and skips otherwise, and skips in -short mode.
func Require(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("pebbletest: ACME tests against Pebble do not run with -short")
	}
	bin, err := binary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pebbletest: CI=true but %v", err)
		}
		t.Skipf("pebbletest: %v", err)
	}
	return bin
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// binary finds or builds Pebble and pebble-challtestsrv, once per test binary, and returns
// their directory.
func binary() (string, error) {
	buildOnce.Do(func() {
		built = os.Getenv("PEBBLE_BIN_DIR")
		if built == "" {
			cache, err := os.UserCacheDir()
			if err != nil {
				buildErr = fmt.Errorf("no cache directory to keep Pebble in: %w", err)
				return
			}
			built = filepath.Join(cache, "roll-test", "pebble-"+Version)
		}
		if haveBinaries(built) || os.Getenv("PEBBLE_BIN_DIR") != "" {
			if !haveBinaries(built) {
				buildErr = fmt.Errorf("PEBBLE_BIN_DIR %s lacks pebble or pebble-challtestsrv", built)
			}
			return
		}
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("no go command to build Pebble with: %w", err)
			return
		}
		cmd := exec.Command(goBin, "install", module+"pebble@"+Version, module+"pebble-challtestsrv@"+Version)
		cmd.Dir = os.TempDir()
		cmd.Env = append(os.Environ(), "GOBIN="+built)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building Pebble %s (go install %s{pebble,pebble-challtestsrv}@%s): %w\n%s", Version, module, Version, err, out)
		}
	})
	return built, buildErr
}

func haveBinaries(dir string) bool {
	for _, name := range []string{"pebble", "pebble-challtestsrv"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// Options shape one Pebble.
type Options struct {
	// TLSPort is where Pebble connects for tls-alpn-01 validations: the gateway's TLS listener.
	TLSPort int
	// Validity is the lifetime of the certificates it issues.
	Validity time.Duration
}

// Server is a running Pebble.
type Server struct {
	// DirectoryURL is the ACME directory.
	DirectoryURL string
	// CARootsFile is the PEM root of Pebble's own HTTPS certificate, for the ACME client.
	CARootsFile string

	mgmt   string
	client *http.Client
	stop   func()
}

// Stop ends Pebble now (the test's end does it otherwise): what the gateway still serves then
// comes from its cache.
func (s *Server) Stop() { s.stop() }

// Start runs a Pebble for the test, stopped at its end. Its validations of any name reach
// 127.0.0.1:TLSPort.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bins := Require(t)
	dir := t.TempDir()
	dns := freeAddr(t)
	// The DNS server alone: its challenge servers would take ports, and the gateway answers the
	// challenges itself.
	run(t, filepath.Join(bins, "pebble-challtestsrv"), nil, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dnsserver", dns,
		"-management", freeAddr(t), "-http01", "", "-https01", "", "-doh", "", "-tlsalpn01", "")
	ca := tlstest.NewCA(t)
	certFile, keyFile := ca.Server(t, time.Time{}, "127.0.0.1", "localhost").Write(t, dir, "pebble")
	caFile := filepath.Join(dir, "pebble-https-ca.pem")
	tlstest.WriteFile(t, caFile, ca.PEM())
	listen, mgmt := freeAddr(t), freeAddr(t)
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": mgmt,
		"certificate": certFile, "privateKey": keyFile,
		"httpPort": 0, "tlsPort": opts.TLSPort,
		"ocspResponderURL": "", "externalAccountBindingRequired": false,
		"retryAfter":   map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm": "ecdsa",
		"profiles": map[string]any{"default": map[string]any{
			"description": "roll's tests", "validityPeriod": int(opts.Validity / time.Second),
		}},
	}}
	data, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(dir, "pebble-config.json")
	tlstest.WriteFile(t, cfgFile, data)

	// No random sleep before a validation, no random bad-nonce answers: the tests need speed, not
	// the client's retries (which autocert has).
	p := run(t, filepath.Join(bins, "pebble"), []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"},
		"-config", cfgFile, "-dnsserver", dns)
	s := &Server{stop: p.stop,
		DirectoryURL: "https://" + listen + "/dir", CARootsFile: caFile, mgmt: mgmt,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}},
	}
	t.Cleanup(s.client.CloseIdleConnections)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := s.client.Get(s.DirectoryURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("pebbletest: pebble exited at start:\n%s", p.out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebbletest: pebble's directory never answered (%v):\n%s", err, p.out.String())
		}
	}
}

// process is a program the test started, killed at the test's end.
type process struct {
	out    *lockedWriter
	exited chan struct{}
	stop   func()
}

// run starts bin with args and the extra environment, and stops it at the test's end, showing
// its output when the test failed.
func run(t testing.TB, bin string, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &process{out: &lockedWriter{w: &bytes.Buffer{}}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("pebbletest: starting %s: %v", bin, err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	p.stop = func() { // again at the end: Kill then fails, and exited is closed
		_ = cmd.Process.Kill()
		<-p.exited
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s's output:\n%s", filepath.Base(bin), p.out.String())
		}
	})
	return p
}

// Roots returns the pool of the root Pebble issues certificates under, to verify them with.
func (s *Server) Roots(t testing.TB) *x509.CertPool {
	t.Helper()
	resp, err := s.client.Get("https://" + s.mgmt + "/roots/0")
	if err != nil {
		t.Fatalf("pebbletest: reading the issuing root: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("pebbletest: reading the issuing root: %d %v", resp.StatusCode, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		t.Fatalf("pebbletest: the issuing root is not PEM: %q", data)
	}
	return pool
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// lockedWriter lets Pebble's stdout and stderr share one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprint(l.w)
}
