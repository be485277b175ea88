package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// certTable is the certificates served at one time, rebuilt whole on a reload and swapped.
type certTable struct {
	certs []*loadedCert          // in load order
	exact map[string]*loadedCert // by DNS name
	wild  map[string]*loadedCert // "example.com" → the certificate for *.example.com
	def   *loadedCert            // for clients without SNI, or a name no certificate is for
}

// newCertTable indexes certs by name; the first certificate for a name serves it. The default
// is the one for defaultHost, else the first (none when there are no files: ACME alone).
func newCertTable(certs []*loadedCert, defaultHost string) (*certTable, error) {
	t := &certTable{certs: certs, exact: map[string]*loadedCert{}, wild: map[string]*loadedCert{}}
	if len(certs) > 0 {
		t.def = certs[0]
	}
	for _, lc := range certs {
		for _, n := range lc.names {
			m, key := t.exact, n
			if rest, ok := strings.CutPrefix(n, "*."); ok {
				m, key = t.wild, rest
			}
			if _, taken := m[key]; !taken {
				m[key] = lc
			}
		}
	}
	if defaultHost != "" {
		lc := t.lookup(defaultHost)
		if lc == nil {
			return t, fmt.Errorf("choosing the default certificate: no certificate is for %q", defaultHost)
		}
		t.def = lc
	}
	return t, nil
}

// lookup returns the certificate for a server name: its own, else its parent's wildcard;
// nil when none is.
func (t *certTable) lookup(name string) *loadedCert {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if lc, ok := t.exact[name]; ok {
		return lc
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		return t.wild[name[i+1:]]
	}
	return nil
}

// certStore loads the certificates of a TLSConfig and serves them to handshakes. A reload
// replaces only what loaded well: a certificate whose files fail keeps its last good version,
// and the failure is kept (problems) for the status page and logged once.
type certStore struct {
	cfg *TLSConfig
	log *slog.Logger

	table        atomic.Pointer[certTable]
	reloadErrors atomic.Uint64 // reloads that found a problem

	mu       sync.Mutex        // one reload at a time
	problems map[string]string // the failed file's certificate → why, guarded by mu
}

// newCertStore loads every certificate, strictly: at start there is no last good one, so any
// problem is an error naming its file.
func newCertStore(cfg *TLSConfig, log *slog.Logger) (*certStore, error) {
	s := &certStore{cfg: cfg, log: log, problems: map[string]string{}}
	srcs, err := cfg.sources()
	if err != nil {
		return nil, err
	}
	var certs []*loadedCert
	var errs []error
	now := time.Now()
	for _, src := range srcs {
		lc, _, err := loadCert(src, nil, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		certs = append(certs, lc)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(certs) == 0 && cfg.ACME == nil {
		return nil, fmt.Errorf("%w: the directory %s holds none (NAME.crt with NAME.key, or NAME/fullchain.pem with NAME/privkey.pem)", ErrNoCertificates, cfg.CertDir)
	}
	t, err := newCertTable(certs, cfg.DefaultHost)
	if err != nil {
		return nil, err
	}
	s.table.Store(t)
	return s, nil
}

// getCertificate is the tls.Config's: the certificate for the client's server name.
func (s *certStore) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	t := s.table.Load()
	if lc := t.lookup(hello.ServerName); lc != nil {
		return lc.cert, nil
	}
	if t.def == nil {
		return nil, fmt.Errorf("no certificate for server name %q", hello.ServerName)
	}
	return t.def.cert, nil
}

// reload reads the files again and swaps in a table of what loaded, keeping the last good
// version of each certificate that failed. It returns the problems found, joined.
func (s *certStore) reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.table.Load()
	prev := make(map[certSource]*loadedCert, len(old.certs))
	for _, lc := range old.certs {
		prev[lc.src] = lc
	}
	problems := map[string]string{}
	var errs []error
	fail := func(file string, err error) {
		problems[file] = err.Error()
		errs = append(errs, err)
	}
	srcs, err := s.cfg.sources()
	if err != nil {
		fail(s.cfg.CertDir, err)
		srcs = nil
		for _, lc := range old.certs { // the directory cannot be read: nothing is known to be gone
			srcs = append(srcs, lc.src)
		}
	}
	now := time.Now()
	var certs []*loadedCert
	listed := make(map[certSource]bool, len(srcs))
	for _, src := range srcs {
		listed[src] = true
		p := prev[src]
		lc, changed, err := loadCert(src, p, now)
		switch {
		case err != nil && p != nil:
			fail(src.cert, err)
			certs = append(certs, p)
		case err != nil:
			fail(src.cert, err)
		case changed && p != nil:
			s.log.Info("TLS certificate reloaded", "cert", src.cert, "names", lc.names, "not_after", lc.notAfter)
			certs = append(certs, lc)
		case changed:
			s.log.Info("TLS certificate added", "cert", src.cert, "names", lc.names, "not_after", lc.notAfter)
			certs = append(certs, lc)
		default:
			certs = append(certs, lc)
		}
	}
	for _, lc := range old.certs {
		if !listed[lc.src] {
			s.log.Info("TLS certificate removed", "cert", lc.src.cert, "names", lc.names)
		}
	}
	if len(certs) == 0 && len(old.certs) > 0 {
		fail(s.cfg.CertDir, fmt.Errorf("%w left to load: keeping the %d loaded before", ErrNoCertificates, len(old.certs)))
		certs = old.certs
	}
	t, err := newCertTable(certs, s.cfg.DefaultHost)
	if err != nil {
		fail(s.cfg.DefaultHost, err)
	}
	s.table.Store(t)
	s.noteProblems(problems)
	if len(errs) > 0 {
		s.reloadErrors.Add(1)
	}
	return errors.Join(errs...)
}

// noteProblems logs each problem once, when it appears or changes, and when it is gone.
func (s *certStore) noteProblems(now map[string]string) {
	for file, msg := range now {
		if s.problems[file] != msg {
			s.log.Error("TLS certificate not loaded; the last good one serves", "file", file, "err", msg)
		}
	}
	for file := range s.problems {
		if _, still := now[file]; !still {
			s.log.Info("TLS certificate problem solved", "file", file)
		}
	}
	s.problems = now
}

// watch reloads every interval until ctx ends (a background job of the gateway).
func (s *certStore) watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = s.reload() // logged and kept in problems
		}
	}
}
