package tomcattest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Require stops the test when no real Tomcat can run here: it fails under CI=true (CI must never pass by
// skipping the conformance tests) and skips with the reason otherwise. It also skips in -short mode, which
// asks for the fast tests only (`make unit`), CI or not.
func Require(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("tomcattest: real Tomcat tests do not run with -short")
	}
	if err := available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tomcattest: CI=true but %v (scripts/install-test-deps.sh installs it)", err)
		}
		t.Skipf("tomcattest: %v (scripts/install-test-deps.sh installs it)", err)
	}
}

// available returns why Tomcat cannot run here, or nil.
func available() error {
	if _, err := javaBinary(); err != nil {
		return fmt.Errorf("no java: %w", err)
	}
	home := catalinaHome()
	for _, f := range []string{
		filepath.Join(home, "bin", "bootstrap.jar"),
		filepath.Join(home, "lib", "catalina.jar"),
		filepath.Join(confTemplates(home), "web.xml"),
	} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("no Tomcat 10.1 at %s (set CATALINA_HOME): %w", home, err)
		}
	}
	return nil
}
