package gateway

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"
)

// tlsStatus is the TLS part of /status.json and the status page: which certificates serve
// which names until when, and what failed to load.
type tlsStatus struct {
	Certificates      []certStatus  `json:"certificates"`
	ACME              []acmeStatus  `json:"acme,omitempty"`
	Problems          []certProblem `json:"problems"`
	HandshakeFailures uint64        `json:"handshake_failures"`
	FailedReloads     uint64        `json:"failed_reloads"`
}

type certStatus struct {
	Names    []string  `json:"names"`
	Cert     string    `json:"cert"`
	Key      string    `json:"key"`
	NotAfter time.Time `json:"not_after"`
	Default  bool      `json:"default"` // for clients without SNI
}

type certProblem struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// status reads the table and the problems of the last reload.
func (s *certStore) status() *tlsStatus {
	t := s.table.Load()
	st := &tlsStatus{Certificates: []certStatus{}, Problems: []certProblem{}, FailedReloads: s.reloadErrors.Load()}
	for _, lc := range t.certs {
		st.Certificates = append(st.Certificates, certStatus{Names: lc.names, Cert: lc.src.cert, Key: lc.src.key, NotAfter: lc.notAfter, Default: lc == t.def})
	}
	s.mu.Lock()
	for file, msg := range s.problems {
		st.Problems = append(st.Problems, certProblem{File: file, Error: msg})
	}
	s.mu.Unlock()
	sort.Slice(st.Problems, func(i, j int) bool { return st.Problems[i].File < st.Problems[j].File })
	return st
}

// tlsStatus is nil for a gateway without TLS.
func (g *Gateway) tlsStatus() *tlsStatus {
	if g.tls == nil {
		return nil
	}
	st := g.tls.certs.status()
	st.HandshakeFailures = g.tls.handshakeFailures.Load()
	if g.tls.acme != nil {
		st.ACME = g.tls.acme.status(context.Background())
	}
	return st
}

// writeTLSMetrics adds the TLS families to /metrics through serveMetrics' writers.
func writeTLSMetrics(st *tlsStatus, family func(name, typ, help string), sample func(name string, labels []string, v string)) {
	family("roll_tls_certificate_expiry_timestamp_seconds", "gauge", "When the certificate stops being valid (its notAfter), in seconds since the epoch.")
	for _, c := range st.Certificates {
		sample("roll_tls_certificate_expiry_timestamp_seconds", []string{"cert", c.Cert, "names", strings.Join(c.Names, ",")}, strconv.FormatInt(c.NotAfter.Unix(), 10))
	}
	for _, a := range st.ACME {
		if a.NotAfter != nil {
			sample("roll_tls_certificate_expiry_timestamp_seconds", []string{"cert", "acme", "names", a.Host}, strconv.FormatInt(a.NotAfter.Unix(), 10))
		}
	}
	family("roll_tls_certificate_problems", "gauge", "Certificate files that failed to load at the last reload; their last good version still serves.")
	sample("roll_tls_certificate_problems", nil, strconv.Itoa(len(st.Problems)))
	family("roll_tls_reload_failures_total", "counter", "Certificate reloads that found a problem.")
	sample("roll_tls_reload_failures_total", nil, strconv.FormatUint(st.FailedReloads, 10))
	family("roll_tls_handshake_failures_total", "counter", "TLS handshakes that failed or were cut (timeout, garbage, a refused client certificate, too many at once).")
	sample("roll_tls_handshake_failures_total", nil, strconv.FormatUint(st.HandshakeFailures, 10))
}
