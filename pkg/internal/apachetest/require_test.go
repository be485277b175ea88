package apachetest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// outcome records how Require ended a test, without ending the real one.
type outcome struct {
	testing.TB
	fatal, skip string
}

func (o *outcome) Helper() {}
func (o *outcome) Fatalf(format string, args ...any) {
	o.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (o *outcome) Skipf(format string, args ...any) {
	o.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// requireWith runs Require on a recorder in its own goroutine, since Fatalf and Skipf end it.
func requireWith(t *testing.T) *outcome {
	o := &outcome{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Require(o)
	}()
	<-done
	return o
}

func TestRequireFailsUnderCIAndSkipsOtherwise(t *testing.T) {
	if testing.Short() {
		t.Skip("Require always skips with -short")
	}
	mods := t.TempDir() // httpd's own modules, but no mod_jk.so
	for _, m := range []string{"mod_mpm_event.so", "mod_authz_core.so"} {
		if err := os.WriteFile(filepath.Join(mods, m), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("APACHE_MODULES", mods)

	t.Setenv("CI", "true")
	if o := requireWith(t); o.fatal == "" || o.skip != "" || !strings.Contains(o.fatal, "CI=true") || !strings.Contains(o.fatal, "libapache2-mod-jk") {
		t.Fatalf("under CI=true without mod_jk: fatal %q, skip %q; want a failure that names CI and mod_jk", o.fatal, o.skip)
	}
	t.Setenv("CI", "")
	if o := requireWith(t); o.skip == "" || o.fatal != "" {
		t.Fatalf("without CI and without mod_jk: fatal %q, skip %q; want a skip", o.fatal, o.skip)
	}
}
