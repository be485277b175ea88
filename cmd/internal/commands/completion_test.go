package commands

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

func TestCompletionScriptAndWords(t *testing.T) {
	var out bytes.Buffer
	app := newApp("test")
	app.Writer = &out
	if err := app.RunContext(context.Background(), []string{"roll", "completion", "bash"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "complete -o bashdefault -o default -F _roll_complete roll") {
		t.Fatalf("bash script:\n%s", out.String())
	}
	// urfave/cli reads os.Args to decide what to complete and prints to the app's writer.
	args := os.Args
	os.Args = []string{"roll", "--generate-bash-completion"}
	defer func() { os.Args = args }()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	code := Run(context.Background(), "test", []string{"roll", "--generate-bash-completion"})
	os.Stdout = stdout
	w.Close()
	out.Reset()
	_, _ = out.ReadFrom(r)
	if code != ExitOK {
		t.Fatalf("completion words: exit %d", code)
	}
	for _, cmd := range []string{"deploy", "status", "rollback", "up", "down", "gateway"} {
		if !strings.Contains(out.String(), cmd) {
			t.Errorf("completion words lack %s: %q", cmd, out.String())
		}
	}
	if code := Run(context.Background(), "test", []string{"roll", "completion", "fish"}); code != ExitUsage {
		t.Errorf("completion fish: exit %d, want %d", code, ExitUsage)
	}
}
