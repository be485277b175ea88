//go:build unix

package commands

import (
	"context"
	"crypto/tls"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rollcd/roll/internal/tlstest"
)

// `roll gateway` serves TLS with the certificate of --tls-cert, and SIGHUP makes it read the file
// again, without stopping it.
func TestGatewayServesTLSAndReloadsOnSIGHUP(t *testing.T) {
	ca := tlstest.NewCA(t)
	dir := t.TempDir()
	first := ca.Server(t, time.Time{}, "shop.test")
	certFile, keyFile := first.Write(t, dir, "shop")
	tlsAddr := loopbackAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, "test", []string{"roll", "gateway", "--admin-token", "x-123456789", "--listen", loopbackAddr(t),
			"--admin", loopbackAddr(t), "--log-level", "error", "--tls-listen", tlsAddr, "--tls-cert", certFile + "," + keyFile,
			"--tls-reload-interval", "0", "--state", filepath.Join(t.TempDir(), "state.json")})
	}()
	serial := func() string {
		conn, err := tls.Dial("tcp", tlsAddr, &tls.Config{ServerName: "shop.test", RootCAs: ca.Pool()})
		if err != nil {
			return ""
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for serial() != want {
			select {
			case code := <-done:
				t.Fatalf("gateway exited with %d", code)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("serial %s never served", want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor(first.Leaf.SerialNumber.String())
	second := ca.Server(t, time.Time{}, "shop.test")
	second.Write(t, dir, "shop")
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(second.Leaf.SerialNumber.String())
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("exit %d, want 0", code)
	}
}
