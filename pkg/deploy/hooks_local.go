package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// localOutputTail bounds what a local hook's output costs: its end is what explains a failure.
const localOutputTail = 64 << 10

// runLocal runs cmd on this machine in dir, with env added to roll's own environment, until
// it ends or ctx does (then it is killed).
func runLocal(ctx context.Context, dir string, cmd, env []string) (ExecResult, error) {
	c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	c.Dir = dir
	c.Env = append(os.Environ(), env...)
	out := &tailWriter{max: localOutputTail}
	c.Stdout, c.Stderr = out, out
	// A child that keeps the output open (sh -c "sleep 600 &") must not hold the deploy.
	c.WaitDelay = 2 * time.Second
	err := c.Run()
	res := ExecResult{Output: out.lines()}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return res, nil
	case errors.As(err, &ee) && ctx.Err() == nil && ee.ExitCode() >= 0:
		res.ExitCode = ee.ExitCode()
		return res, nil
	}
	return res, fmt.Errorf("running %s on this machine: %w", cmd[0], err)
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

func (w *tailWriter) lines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := strings.TrimRight(string(w.buf), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
