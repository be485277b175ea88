//go:build linux

package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestSetupStatements(t *testing.T) {
	c := config{database: "sessions", user: "tomcat", password: "it's a \\secret"}
	got := setupStatements(c)
	want := []statement{
		{"postgres", "postgres", `CREATE ROLE tomcat LOGIN PASSWORD 'it''s a \secret'`},
		{"postgres", "postgres", "CREATE DATABASE sessions OWNER tomcat"},
		{"tomcat", "sessions", sessionTable},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestSessionTableHasDataSourceStoreColumns: Tomcat 10.1's DataSourceStore defaults, which
// conf/sessions/jdbc.xml keeps (only the table is named there).
func TestSessionTableHasDataSourceStoreColumns(t *testing.T) {
	for _, col := range []string{"app ", "id ", "valid ", "maxinactive ", "lastaccess ", "data "} {
		if !strings.Contains(sessionTable, "\n  "+col) {
			t.Errorf("the table lacks column %q:\n%s", col, sessionTable)
		}
	}
	if !strings.HasPrefix(sessionTable, "CREATE TABLE tomcat_sessions (") {
		t.Errorf("table name: %s", sessionTable)
	}
	jdbcXML, err := os.ReadFile(filepath.Join("..", "..", "tomcat", "conf", "sessions", "jdbc.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(jdbcXML), `sessionTable="tomcat_sessions"`) {
		t.Error(`conf/sessions/jdbc.xml does not name the table tomcat_sessions`)
	}
}

func TestServerSettings(t *testing.T) {
	got := serverArgs("/pg/bin", "/data/pg.init", setupSettings("/tmp/sock"))
	want := []string{"/pg/bin/postgres", "-D", "/data/pg.init", "-c", "listen_addresses=", "-c", "unix_socket_directories=/tmp/sock",
		"-c", "log_min_error_statement=panic"}
	if !slices.Equal(got, want) {
		t.Errorf("setup server args %q, want %q", got, want)
	}
	if !slices.Contains(serveSettings, "listen_addresses=*") {
		t.Errorf("the server does not listen on every address: %q", serveSettings)
	}
	for _, line := range []string{"local   all       all            trust", "host    all       all   all      scram-sha-256"} {
		if !strings.Contains(hbaConf, line+"\n") {
			t.Errorf("pg_hba.conf lacks %q", line)
		}
	}
	if strings.Contains(hbaConf, "host    all       all   all      trust") {
		t.Error("TCP clients get in without a password")
	}
}

func TestCopyCluster(t *testing.T) {
	template := t.TempDir()
	for name, body := range map[string]string{"PG_VERSION": "15\n", "base/1/1259": "pages", "pg_wal/000000010000000000000001": "wal"} {
		p := filepath.Join(template, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil { // a template readable by any user
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(template, "pg_notify"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "pgdata.init")
	if err := copyCluster(template, dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{".": fs.ModeDir | 0o700, "pg_notify": fs.ModeDir | 0o700, "base/1": fs.ModeDir | 0o700, "base/1/1259": 0o600, "PG_VERSION": 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode() != want {
			t.Errorf("%s: %v %v, want mode %v", name, fi.Mode(), err, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "pg_wal/000000010000000000000001")); err != nil || string(b) != "wal" {
		t.Errorf("WAL file: %q %v", b, err)
	}
	if err := os.Symlink("/elsewhere", filepath.Join(template, "pg_tblspc")); err != nil {
		t.Fatal(err)
	}
	if err := copyCluster(template, filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "neither a file nor a directory") {
		t.Errorf("a template with a symlink: %v", err)
	}
	if err := copyCluster(t.TempDir(), filepath.Join(t.TempDir(), "y")); err == nil || !strings.Contains(err.Error(), "image is incomplete") {
		t.Errorf("an empty template: %v", err)
	}
}

func TestInitializeLeavesAnInitializedDirectoryAlone(t *testing.T) {
	data := filepath.Join(t.TempDir(), "pgdata")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "PG_VERSION"), []byte("15\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// No template and no postgres at these paths: anything but "already initialized" would fail.
	missing := config{bin: "/nonexistent", template: "/nonexistent", data: data}
	if err := initialize(missing, nil, nil); err != nil {
		t.Errorf("initialized data directory: %v", err)
	}
	missing.data = filepath.Join(t.TempDir(), "new")
	if err := initialize(missing, nil, nil); err == nil || !strings.Contains(err.Error(), "template cluster") {
		t.Errorf("a new directory without a template: %v, want the template named", err)
	}
}

func TestInterrupted(t *testing.T) {
	sigs := make(chan os.Signal, 1)
	if interrupted(sigs) {
		t.Error("interrupted without a signal")
	}
	sigs <- syscall.SIGTERM
	if !interrupted(sigs) {
		t.Error("a SIGTERM went unseen")
	}
}
