package commands

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/pkg/gateway"
)

func loopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestGatewayRefusesToStartWithoutToken(t *testing.T) {
	t.Setenv("ROLL_ADMIN_TOKEN", "")
	t.Setenv("ROLL_ADMIN_TOKEN_FILE", "")
	code := Run(context.Background(), "test", []string{"roll", "gateway", "--listen", loopbackAddr(t), "--admin", loopbackAddr(t)})
	if code != ExitUsage {
		t.Fatalf("exit %d, want %d (usage)", code, ExitUsage)
	}
}

func TestGatewayTokenFlagsExcludeEachOther(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	os.WriteFile(file, []byte("from-a-file-123\n"), 0o600)
	code := Run(context.Background(), "test", []string{"roll", "gateway", "--admin-token", "x-123456789", "--admin-token-file", file})
	if code != ExitUsage {
		t.Fatalf("exit %d, want %d", code, ExitUsage)
	}
	if code := Run(context.Background(), "test", []string{"roll", "gateway", "--admin-token", "x-123456789", "--log-format", "xml"}); code != ExitUsage {
		t.Fatalf("bad --log-format: exit %d, want %d", code, ExitUsage)
	}
}

func TestGatewayServesUntilCancelled(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("from-a-file-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ROLL_ADMIN_TOKEN_FILE", file)
	t.Setenv("ROLL_ADMIN_TOKEN", "")
	admin := loopbackAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, "test", []string{"roll", "gateway", "--listen", loopbackAddr(t), "--admin", admin,
			"--state", filepath.Join(t.TempDir(), "state.json"), "--log-level", "warn", "--shutdown-timeout", "5s"})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest("GET", "http://"+admin+"/v1/services", nil)
		req.Header.Set("Authorization", "Bearer from-a-file-123")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("admin API with the token from the file: %d", resp.StatusCode)
			}
			break
		}
		select {
		case code := <-done:
			t.Fatalf("gateway exited early with %d", code)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("admin API never answered: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("exit %d after SIGTERM, want 0", code)
	}
}

func TestGatewayFlagsReachTheConfig(t *testing.T) {
	t.Setenv("ROLL_ADMIN_TOKEN_FILE", "")
	t.Setenv("ROLL_ADMIN_TOKEN", "")
	app := newApp("test")
	var got gateway.Config
	for i, c := range app.Commands {
		if c.Name == "gateway" {
			cmd := *c
			cmd.Action = func(c *cli.Context) error {
				var err error
				got, err = gatewayConfig(c)
				return err
			}
			app.Commands[i] = &cmd
		}
	}
	err := app.RunContext(context.Background(), []string{"roll", "gateway", "--admin-token", "x-123456789",
		"--reply-timeout", "45s", "--dial-timeout", "2s", "--shutdown-timeout", "7s", "--state", "/tmp/s.json", "--public-status",
		"--body-read-timeout", "3s", "--write-timeout", "4s", "--trusted-proxy", "10.0.0.0/8,192.0.2.7", "--trusted-proxy", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	if got.ReplyTimeout != 45*time.Second || got.DialTimeout != 2*time.Second || got.ShutdownTimeout != 7*time.Second ||
		got.StatePath != "/tmp/s.json" || !got.PublicStatus || got.AdminToken != "x-123456789" ||
		got.BodyReadTimeout != 3*time.Second || got.WriteTimeout != 4*time.Second {
		t.Fatalf("config from flags: %+v", got)
	}
	if fmt.Sprint(got.TrustedProxies) != "[10.0.0.0/8 192.0.2.7/32 fd00::/8]" {
		t.Fatalf("trusted proxies %v", got.TrustedProxies)
	}
}

func TestTrustedProxyFlagRefusesGarbage(t *testing.T) {
	if _, err := parseTrustedProxies([]string{"10.0.0.0/8", "lb.example"}); err == nil || !strings.Contains(err.Error(), "lb.example") {
		t.Fatalf("err %v, want one naming the bad value", err)
	}
}
