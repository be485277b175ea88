package apachetest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Require stops the test when no Apache httpd with mod_jk can run here: it fails under CI=true (CI must
// never pass by skipping the comparison with Apache) and skips with the reason otherwise. It also skips
// in -short mode, which asks for the fast tests only (`make unit`), CI or not.
func Require(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("apachetest: real Apache httpd tests do not run with -short")
	}
	if err := available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("apachetest: CI=true but %v (scripts/install-test-deps.sh installs it)", err)
		}
		t.Skipf("apachetest: %v (scripts/install-test-deps.sh installs it)", err)
	}
}

// available returns why httpd with mod_jk cannot run here, or nil.
func available() error {
	if _, err := os.Stat(binary()); err != nil {
		return fmt.Errorf("no Apache httpd at %s (apache2; set APACHE_BIN): %w", binary(), err)
	}
	for _, m := range []struct{ file, pkg string }{
		{"mod_mpm_event.so", "apache2"},
		{"mod_authz_core.so", "apache2"},
		{"mod_jk.so", "libapache2-mod-jk"},
	} {
		if _, err := os.Stat(filepath.Join(modules(), m.file)); err != nil {
			return fmt.Errorf("no %s in %s (%s; set APACHE_MODULES): %w", m.file, modules(), m.pkg, err)
		}
	}
	return nil
}
