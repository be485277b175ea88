package commands

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

// --memory-target takes GOMEMLIMIT's sizes; a wrong one says what is expected; GOMEMLIMIT in the
// environment wins over it (the runtime has already taken it).
func TestGatewayMemoryTarget(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	noEnv := func(string) string { return "" }
	for in, want := range map[string]int64{"40MiB": 40 << 20, "1GiB": 1 << 30, "512KiB": 512 << 10, "1048576": 1 << 20, "0": 0, " 64 MiB ": 64 << 20, "100B": 100} {
		if got, err := gatewayMemoryTarget(in, noEnv, log); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "40MB", "-1MiB", "forty", "1.5GiB", "99999999GiB"} {
		_, err := gatewayMemoryTarget(in, noEnv, log)
		if err == nil || !strings.Contains(err.Error(), "--memory-target") || !strings.Contains(err.Error(), "want a size such as 40MiB") {
			t.Errorf("%q: error %v, want one naming the flag and what it takes", in, err)
		}
	}
	env := func(k string) string {
		if k == "GOMEMLIMIT" {
			return "100MiB"
		}
		return ""
	}
	if got, err := gatewayMemoryTarget(defaultMemoryTarget, env, log); err != nil || got != 0 {
		t.Errorf("with GOMEMLIMIT set: %d, %v; want 0 (the runtime's limit stands)", got, err)
	}
}
