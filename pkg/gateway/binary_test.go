package gateway

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// TestBinarySurvivesSIGKILL builds roll, runs `roll gateway` with a state file, configures it
// over the admin API, kills it with SIGKILL and starts it again: the routing table is back.
func TestBinarySurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the roll binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "roll")
	build := exec.Command("go", "build", "-o", bin, "github.com/rollcd/roll/cmd/roll")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building roll: %v\n%s", err, out)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	listen, adminAddr := freeAddr(t), freeAddr(t)
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "gateway", "--listen", listen, "--admin", adminAddr, "--state", state, "--log-format", "json")
		cmd.Env = append(os.Environ(), "ROLL_ADMIN_TOKEN="+testToken)
		cmd.Stderr = &strings.Builder{}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		eventually(t, 15*time.Second, "the gateway's admin API", func() bool {
			c, err := net.Dial("tcp", adminAddr)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		return cmd
	}
	backend := startNameBackend(t, "a")
	cmd := start()
	cl := admin.NewClient("http://"+adminAddr, testToken)
	if err := cl.PutService(t.Context(), httpService("app")); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.AddBackend(t.Context(), "app", admin.BackendSpec{Name: "a", Address: backend.addr()}); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, "http://"+listen+"/", ""); code != 200 || body != "a" {
		t.Fatalf("before the kill: %d %q", code, body)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	cmd = start()
	if code, body := get(t, "http://"+listen+"/", ""); code != 200 || body != "a" {
		t.Fatalf("after the kill: %d %q\n%s", code, body, cmd.Stderr)
	}
	// SIGTERM: graceful, exit 0.
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, cmd.Stderr)
	}
}
