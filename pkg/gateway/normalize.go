package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rollcd/roll/pkg/gateway/internal/reqpath"
)

// normalizeRequestPath puts the request's path in the normal form that routing decides on
// and the backend receives, as Apache does before it maps a URL (mod_jk 1.2.44 fixed
// CVE-2018-11759 the same way): a path that leaves a mount once normalised must never be
// sent to that mount's backend, where Tomcat would normalise it into another webapp. It
// returns the escaped normal path; r.URL is updated when it changed. A path that cannot be
// normalised safely (an encoded '/', NUL, a climb above the root) is an error for a 400.
func normalizeRequestPath(r *http.Request) (string, error) {
	raw := r.URL.RawPath
	if raw == "" {
		raw = r.URL.Path
	}
	raw = encodeHighBytes(raw)
	norm, err := reqpath.Normalize(raw)
	if err != nil {
		return "", err
	}
	if norm == raw {
		return norm, nil
	}
	decoded, err := url.PathUnescape(norm)
	if err != nil {
		return "", fmt.Errorf("normalising the request path: %w", err)
	}
	r.URL.Path = decoded
	r.URL.RawPath = ""
	if strings.IndexByte(norm, '%') >= 0 {
		r.URL.RawPath = norm
	}
	return norm, nil
}

// plainAnswer writes a short text answer of the gateway's own.
func plainAnswer(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

// encodeHighBytes percent-encodes the raw bytes from 0x80 that browsers send in paths (UTF-8
// typed in the address bar), as Apache lets them through; the normal form carries them
// encoded, so Tomcat decodes the same characters.
func encodeHighBytes(p string) string {
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] >= 0x80 {
			n++
		}
	}
	if n == 0 {
		return p
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(p)+2*n)
	for i := 0; i < len(p); i++ {
		if c := p[i]; c >= 0x80 {
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}
