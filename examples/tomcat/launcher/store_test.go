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
