package commands

import (
	"io"
	"log/slog"
	"runtime"
	"testing"
)

// TestGatewayProcs: without GOMAXPROCS in the environment the gateway runs two Ps per CPU Go
// found; with it, the runtime keeps what the environment said.
func TestGatewayProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	if got := setGatewayProcs(func(string) string { return "" }, log); got != 2*before || runtime.GOMAXPROCS(0) != 2*before {
		t.Errorf("without GOMAXPROCS: %d Ps (runtime %d), want %d", got, runtime.GOMAXPROCS(0), 2*before)
	}
	runtime.GOMAXPROCS(before)
	env := func(k string) string {
		if k == "GOMAXPROCS" {
			return "3"
		}
		return ""
	}
	if got := setGatewayProcs(env, log); got != before || runtime.GOMAXPROCS(0) != before {
		t.Errorf("with GOMAXPROCS set: %d Ps (runtime %d), want the runtime's %d untouched", got, runtime.GOMAXPROCS(0), before)
	}
}
