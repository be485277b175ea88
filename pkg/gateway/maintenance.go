package gateway

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// maintenance answers every request of a service (but its health path) with a 503, a
// Retry-After and the person's message: a small HTML page for clients that accept HTML, plain
// text for the others. Both bodies are rendered once, when maintenance starts.
type maintenance struct {
	spec       admin.MaintenanceSpec // normalized: the message checked, RetryAfter whole seconds
	since      time.Time
	retryAfter string // the header's value
	html, text []byte

	answered atomic.Uint64
	ended    atomic.Int64 // unix nanoseconds once it ended
}

// maintenancePage is the page a browser shows. The message is escaped by html/template; its
// line breaks stay line breaks (white-space: pre-line).
var maintenancePage = template.Must(template.New("maintenance").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Down for maintenance</title>
<style>body{font:17px/1.5 system-ui,sans-serif;margin:12vh auto;max-width:34em;padding:0 1em;color:#222}p{white-space:pre-line}.meta{color:#777;font-size:.85em}</style>
</head><body>
<h1>Down for maintenance</h1>
<p>{{.Message}}</p>
<p class="meta">Please try again in {{.Retry}}.</p>
</body></html>
`))

func newMaintenance(spec admin.MaintenanceSpec, since time.Time) *maintenance {
	ra := time.Duration(spec.RetryAfter)
	m := &maintenance{spec: spec, since: since.UTC(), retryAfter: retryAfterSeconds(ra)}
	var b bytes.Buffer
	// The template only escapes; it cannot fail on two strings.
	_ = maintenancePage.Execute(&b, struct {
		Message string
		Retry   string
	}{spec.Message, spoken(ra)})
	m.html = b.Bytes()
	m.text = []byte("503 service unavailable: down for maintenance\n\n" + spec.Message + "\n\nPlease try again in " + spoken(ra) + ".\n")
	return m
}

// answer writes the maintenance answer to r.
func (m *maintenance) answer(w http.ResponseWriter, r *http.Request) {
	m.answered.Add(1)
	body, ctype := m.text, "text/plain; charset=utf-8"
	if acceptsHTML(r.Header.Values("Accept")) {
		body, ctype = m.html, "text/html; charset=utf-8"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Retry-After", m.retryAfter)
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Accept")
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// status returns the maintenance's status now.
func (m *maintenance) status() admin.MaintenanceStatus {
	st := admin.MaintenanceStatus{MaintenanceSpec: m.spec, Since: m.since, Answered: m.answered.Load()}
	if n := m.ended.Load(); n != 0 {
		st.Ended = time.Unix(0, n).UTC()
	}
	return st
}

// acceptsHTML reports whether the Accept fields name text/html or application/xhtml+xml
// with a weight above zero, as browsers send; curl's */* and API clients get plain text.
func acceptsHTML(accept []string) bool {
	for _, field := range accept {
		for _, item := range strings.Split(field, ",") {
			typ, params, _ := strings.Cut(item, ";")
			typ = strings.ToLower(strings.TrimSpace(typ))
			if typ != "text/html" && typ != "application/xhtml+xml" {
				continue
			}
			if !zeroWeight(params) {
				return true
			}
		}
	}
	return false
}

// zeroWeight reports whether media-range parameters carry q=0 (not acceptable).
func zeroWeight(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q == 0
		}
	}
	return false
}

// spoken says a whole number of seconds as a person would: "2 minutes", "90 seconds", "1 hour".
func spoken(d time.Duration) string {
	n, unit := int64(d/time.Second), "second"
	switch {
	case n%3600 == 0:
		n, unit = n/3600, "hour"
	case n%60 == 0:
		n, unit = n/60, "minute"
	}
	if n != 1 {
		unit += "s"
	}
	return strconv.FormatInt(n, 10) + " " + unit
}
