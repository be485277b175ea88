package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// checkStore proves the configured store reachable and writable, as a deploy
// needs before it stops the old container to hand its sessions over.
func checkStore(s sessionStore) error {
	switch s.kind {
	case storeNone:
		return ErrNoStore
	case storeFile:
		return checkDir(s.dir)
	case storeJDBC:
		return pgStartup(s.db, 5*time.Second)
	default:
		return fmt.Errorf("SESSION_STORE=%s: no check for this store", s.kind)
	}
}

// checkDir creates, syncs and removes a probe file in dir.
func checkDir(dir string) error {
	name := filepath.Join(dir, ".roll-check-"+strconv.Itoa(os.Getpid()))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("session directory %s is not writable: %w", dir, err)
	}
	_, werr := f.WriteString("roll check-store\n")
	serr := f.Sync()
	cerr := f.Close()
	rerr := os.Remove(name)
	for _, err := range []error{werr, serr, cerr, rerr} {
		if err != nil {
			return fmt.Errorf("session directory %s: writing a probe file: %w", dir, err)
		}
	}
	return nil
}
