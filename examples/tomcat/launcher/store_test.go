package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTomcatCommandFileStoreSetsSessionDir(t *testing.T) {
	c, err := tomcatCommand(envOf(map[string]string{"AJP_SECRET": "x", "SESSION_STORE": "file"}), fixedHost("h"))
	if err != nil {
		t.Fatal(err)
	}
	if c.store.kind != storeFile || c.store.dir != "/sessions" || c.setEnv["SESSION_DIR"] != "/sessions" {
		t.Errorf("store %+v, SESSION_DIR %q; want file in /sessions", c.store, c.setEnv["SESSION_DIR"])
	}
	if _, err := tomcatCommand(envOf(map[string]string{"AJP_SECRET": "x", "SESSION_STORE": "redis"}), fixedHost("h")); err == nil || !strings.Contains(err.Error(), `"redis"`) {
		t.Errorf("err %v; want SESSION_STORE redis refused", err)
	}
}

func TestInstallPutsAndRemovesTheContextFile(t *testing.T) {
	base := t.TempDir()
	for _, d := range []string{"conf/sessions", "conf/Catalina/localhost"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(base, "conf/sessions/file.xml"), []byte("<Context/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(base, "conf/Catalina/localhost/ROOT.xml")
	if err := (sessionStore{kind: storeFile}).install(base); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(root); err != nil || string(b) != "<Context/>" {
		t.Fatalf("ROOT.xml %q, %v; want the file store's context", b, err)
	}
	if err := (sessionStore{}).install(base); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ROOT.xml still there with no store: %v", err)
	}
	if err := (sessionStore{kind: storeJDBC}).install(base); err == nil || !strings.Contains(err.Error(), "SESSION_STORE=jdbc") {
		t.Errorf("err %v; want the missing jdbc context named", err)
	}
}

func TestTomcatCommandJDBCStore(t *testing.T) {
	env := map[string]string{"AJP_SECRET": "x", "SESSION_STORE": "jdbc", "SESSION_DB_URL": "jdbc:postgresql://db/sessions", "SESSION_DB_USER": "tomcat"}
	c, err := tomcatCommand(envOf(env), fixedHost("h"))
	if err != nil {
		t.Fatal(err)
	}
	if pw, set := c.setEnv["SESSION_DB_PASSWORD"]; c.store.kind != storeJDBC || c.store.db.addr != "db:5432" || !set || pw != "" {
		t.Errorf("store %+v, SESSION_DB_PASSWORD %q (set %v); want jdbc on db:5432 and an empty password set", c.store, pw, set)
	}
	env["SESSION_DB_PASSWORD"] = "pw-value"
	if c, err = tomcatCommand(envOf(env), fixedHost("h")); err != nil {
		t.Fatal(err)
	}
	if _, set := c.setEnv["SESSION_DB_PASSWORD"]; set || strings.Contains(strings.Join(c.args, " "), "pw-value") {
		t.Errorf("a given password was replaced or put on the command line: %v %q", c.setEnv, c.args)
	}
	delete(env, "SESSION_DB_URL")
	if _, err := tomcatCommand(envOf(env), fixedHost("h")); err == nil || !strings.Contains(err.Error(), "SESSION_DB_URL") {
		t.Errorf("no SESSION_DB_URL: err %v", err)
	}
}

// TestContextFilesOfTheExample: every store the launcher knows has its context file in the
// example, reading its settings from the environment as the launcher sets them.
func TestContextFilesOfTheExample(t *testing.T) {
	for kind, vars := range map[string][]string{
		storeFile: {"${SESSION_DIR}"},
		storeJDBC: {"${SESSION_DB_URL}", "${SESSION_DB_USER}", "${SESSION_DB_PASSWORD}", `dataSourceName="jdbc/sessions"`},
	} {
		b, err := os.ReadFile(filepath.Join("..", "conf", "sessions", kind+".xml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range append(vars, `saveOnRestart="true"`, `maxIdleBackup="0"`, `processExpiresFrequency="1"`) {
			if !strings.Contains(string(b), v) {
				t.Errorf("%s.xml lacks %s", kind, v)
			}
		}
	}
}

func TestCheckStore(t *testing.T) {
	dir := t.TempDir()
	if err := checkStore(sessionStore{kind: storeFile, dir: dir}); err != nil {
		t.Fatalf("writable dir: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("probe file left behind: %v", left)
	}
	if err := checkStore(sessionStore{kind: storeFile, dir: filepath.Join(dir, "gone")}); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Errorf("missing dir: err %v; want not writable", err)
	}
	if err := checkStore(sessionStore{}); !errors.Is(err, ErrNoStore) {
		t.Errorf("no store: err %v; want ErrNoStore", err)
	}
}
