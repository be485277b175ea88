package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// The stores SESSION_STORE selects. Empty keeps sessions in memory only.
const (
	storeNone = ""
	storeFile = "file"
	storeJDBC = "jdbc"
)

// defaultSessionDir is where SESSION_STORE=file writes, a volume shared by
// the old and the new container.
const defaultSessionDir = "/sessions"

// ErrNoStore means SESSION_STORE is unset: there is nothing to check.
var ErrNoStore = errors.New("no session store is configured: SESSION_STORE is empty (set it to file or jdbc)")

// sessionStore is what the environment says about session persistence.
type sessionStore struct {
	kind string
	dir  string   // file: the FileStore's directory
	db   pgTarget // jdbc: the PostgreSQL server, database and user
}

func sessionStoreOf(getenv func(string) string) (sessionStore, error) {
	s := sessionStore{kind: getenv("SESSION_STORE")}
	switch s.kind {
	case storeNone:
	case storeJDBC:
		db, err := pgTargetOf(getenv("SESSION_DB_URL"), getenv("SESSION_DB_USER"))
		if err != nil {
			return sessionStore{}, err
		}
		s.db = db
	case storeFile:
		s.dir = orDefault(getenv("SESSION_DIR"), defaultSessionDir)
	default:
		return sessionStore{}, fmt.Errorf("SESSION_STORE %q is not one of file, jdbc (or empty for none)", s.kind)
	}
	return s, nil
}

// contextFiles are where the store's context descriptor comes from and goes
// to: Tomcat reads conf/Catalina/localhost/ROOT.xml for the ROOT webapp.
func (s sessionStore) contextFiles(base string) (from, to string) {
	return filepath.Join(base, "conf", "sessions", s.kind+".xml"),
		filepath.Join(base, "conf", "Catalina", "localhost", "ROOT.xml")
}

// install puts the store's context descriptor in place; with no store it
// removes one a previous start left.
func (s sessionStore) install(base string) error {
	from, to := s.contextFiles(base)
	if s.kind == storeNone {
		if err := os.Remove(to); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing the session store's context file: %w", err)
		}
		return nil
	}
	b, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("reading the context file of SESSION_STORE=%s: %w", s.kind, err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		return fmt.Errorf("installing the context file of SESSION_STORE=%s: %w", s.kind, err)
	}
	return nil
}
