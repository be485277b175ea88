//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// sessionTable is the table Tomcat's DataSourceStore reads and writes, with
// the column names of its defaults (app, id, data, valid, maxinactive,
// lastaccess); conf/sessions/jdbc.xml names the table.
const sessionTable = `CREATE TABLE tomcat_sessions (
  app         varchar(255) NOT NULL,
  id          varchar(100) NOT NULL,
  valid       char(1)      NOT NULL,
  maxinactive integer      NOT NULL,
  lastaccess  bigint       NOT NULL,
  data        bytea,
  PRIMARY KEY (app, id)
)`

// hbaConf lets the superuser in only over the container's own Unix socket, and
// everyone over TCP only with a password.
const hbaConf = `# Written by the launcher on the first start.
# TYPE  DATABASE  USER  ADDRESS  METHOD
local   all       all            trust
host    all       all   all      scram-sha-256
`

// errInterrupted means a stop signal came during the first start's setup.
var errInterrupted = errors.New("stopped during the first start's setup")

// statement is one setup statement and the session it runs in.
type statement struct {
	user, database, sql string
}

// setupStatements make the app's role (with its password), its database and
// the session table, which the role owns.
func setupStatements(c config) []statement {
	return []statement{
		{superuser, "postgres", "CREATE ROLE " + c.user + " LOGIN PASSWORD " + quoteLiteral(c.password)},
		{superuser, "postgres", "CREATE DATABASE " + c.database + " OWNER " + c.user},
		{c.user, c.database, sessionTable},
	}
}

// quoteLiteral is a SQL string literal of s (standard_conforming_strings is
// on: only the quote is special).
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// setupSettings run the setup server on a private socket only: no client can
// come in before the table exists, and a failed statement (which could hold
// the password) is never written to the log.
func setupSettings(sock string) []string {
	return []string{"listen_addresses=", "unix_socket_directories=" + sock, "log_min_error_statement=panic"}
}

// initialize makes the data directory on the first start: a copy of the
// image's template cluster in a sibling directory, then the role, database
// and table on a server that listens only on a private socket, then a rename
// into place. A start that dies half way leaves only the sibling, which the
// next start makes again, so the data directory is either whole or absent.
//
// The template is initdb's work at image build: initdb runs its bootstrap
// steps through a shell, which the image does not have.
func initialize(c config, log *slog.Logger, sigs <-chan os.Signal) error {
	if _, err := os.Stat(filepath.Join(c.data, "PG_VERSION")); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading the data directory %s: %w", c.data, err)
	}
	start := time.Now()
	dir := c.data + ".init"
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing what an interrupted first start left in %s: %w", dir, err)
	}
	if err := copyCluster(c.template, dir); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "pg_hba.conf"), []byte(hbaConf), 0o600); err != nil {
		return fmt.Errorf("writing pg_hba.conf: %w", err)
	}
	if interrupted(sigs) {
		return errInterrupted
	}
	sock, err := os.MkdirTemp("", "pg-setup-")
	if err != nil {
		return fmt.Errorf("making the setup server's socket directory: %w", err)
	}
	defer os.RemoveAll(sock)
	srv, err := startServer(c.bin, dir, setupSettings(sock))
	if err != nil {
		return err
	}
	err = setUp(c, sock, srv, sigs)
	if serr := srv.stop(30 * time.Second); err == nil && serr != nil {
		err = fmt.Errorf("stopping the setup server: %w", serr)
	}
	if err != nil {
		return err
	}
	// One sync of everything rather than one per copied file (a thousand of them): the
	// directory is moved into place only once it is on disk.
	syscall.Sync()
	if err := os.Rename(dir, c.data); err != nil {
		return fmt.Errorf("moving the new data directory into place: %w", err)
	}
	log.Info("data directory initialized", "pgdata", c.data, "database", c.database, "user", c.user,
		"table", "tomcat_sessions", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// copyCluster copies the template cluster to dir, which it creates: every
// directory 0700 and every file 0600, as postgres wants them, owned by the
// user the launcher runs as.
func copyCluster(template, dir string) error {
	if _, err := os.Stat(filepath.Join(template, "PG_VERSION")); err != nil {
		return fmt.Errorf("the template cluster %s is not there (the image is incomplete): %w", template, err)
	}
	err := filepath.WalkDir(template, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(template, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dir, rel)
		switch {
		case d.IsDir():
			return os.Mkdir(to, 0o700)
		case d.Type().IsRegular():
			return copyFile(path, to)
		default:
			return fmt.Errorf("%s is neither a file nor a directory", path)
		}
	})
	if err != nil {
		return fmt.Errorf("copying the template cluster to %s: %w", dir, err)
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, cerr := io.Copy(dst, src)
	return errors.Join(cerr, dst.Close())
}

// setUp runs the setup statements on the setup server once it takes connections.
func setUp(c config, sock string, srv *server, sigs <-chan os.Signal) error {
	if err := waitReady(sock, superuser, "postgres", srv, 30*time.Second); err != nil {
		return err
	}
	for _, st := range setupStatements(c) {
		if interrupted(sigs) {
			return errInterrupted
		}
		conn, err := connect(sock, st.user, st.database, 10*time.Second)
		if err != nil {
			return err
		}
		_, err = conn.Exec(st.sql)
		conn.Close()
		if err != nil {
			// The statement's first words: never the password.
			what, _, _ := strings.Cut(st.sql, " PASSWORD")
			what, _, _ = strings.Cut(what, " (")
			return fmt.Errorf("setting up %s: %s: %w", c.database, what, err)
		}
	}
	return nil
}

// interrupted reports whether a stop signal is waiting.
func interrupted(sigs <-chan os.Signal) bool {
	select {
	case <-sigs:
		return true
	default:
		return false
	}
}
