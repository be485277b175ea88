package gateway

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"

	"github.com/rollcd/roll/pkg/admin"
)

// serveMetrics writes the Prometheus text format by hand: a few families do not justify a
// client library, and the values are already atomics.
func (g *Gateway) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	services := g.statuses()

	family := func(name, typ, help string) {
		bw.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
	}
	sample := func(name string, labels []string, v string) {
		bw.WriteString(name)
		if len(labels) > 0 {
			bw.WriteByte('{')
			for i := 0; i < len(labels); i += 2 {
				if i > 0 {
					bw.WriteByte(',')
				}
				bw.WriteString(labels[i] + `="` + escapeLabel(labels[i+1]) + `"`)
			}
			bw.WriteByte('}')
		}
		bw.WriteString(" " + v + "\n")
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	perBackend := func(name, typ, help string, value func(admin.BackendStatus) string) {
		family(name, typ, help)
		for _, s := range services {
			for _, b := range s.Backends {
				sample(name, []string{"service", s.Name, "backend", b.Name}, value(b))
			}
		}
	}
	perBackend("roll_backend_requests_total", "counter", "Requests answered by the backend.", func(b admin.BackendStatus) string { return u(b.Requests) })
	perBackend("roll_backend_errors_total", "counter", "Requests the backend failed (no answer: connect, protocol or timeout errors).", func(b admin.BackendStatus) string { return u(b.Errors) })
	perBackend("roll_backend_in_flight", "gauge", "Requests in flight on the backend.", func(b admin.BackendStatus) string { return i(b.InFlight) })
	perBackend("roll_backend_sessions", "gauge", "Live sticky sessions of the backend.", func(b admin.BackendStatus) string { return i(b.Sessions) })
	perBackend("roll_backend_healthy", "gauge", "1 when the backend passes its health checks and no failed request put it out.", func(b admin.BackendStatus) string {
		if b.Healthy {
			return "1"
		}
		return "0"
	})
	family("roll_backend_activation", "gauge", "1 for the backend's current activation (active, draining, stopped).")
	for _, s := range services {
		for _, b := range s.Backends {
			for _, a := range []admin.Activation{admin.Active, admin.Draining, admin.Stopped} {
				v := "0"
				if b.Activation == a {
					v = "1"
				}
				sample("roll_backend_activation", []string{"service", s.Name, "backend", b.Name, "activation", a.String()}, v)
			}
		}
	}

	family("roll_client_errors_total", "counter", "Requests that failed by the client's fault (a body that broke off or stalled, a request too large for the backend's AJP packet).")
	for _, s := range services {
		sample("roll_client_errors_total", []string{"service", s.Name}, u(s.ClientErrors))
	}

	family("roll_request_duration_seconds", "histogram", "Time to proxy a request, from routing to the end of the answer.")
	g.mu.Lock()
	svcs := make(map[string]*service, len(g.services))
	for k, v := range g.services {
		svcs[k] = v
	}
	g.mu.Unlock()
	for _, st := range services {
		s := svcs[st.Name]
		if s == nil {
			continue
		}
		buckets, total, sum := s.latency.cumulative()
		for k, le := range latencyBuckets {
			sample("roll_request_duration_seconds_bucket", []string{"service", st.Name, "le", strconv.FormatFloat(le, 'g', -1, 64)}, u(buckets[k]))
		}
		sample("roll_request_duration_seconds_bucket", []string{"service", st.Name, "le", "+Inf"}, u(total))
		sample("roll_request_duration_seconds_sum", []string{"service", st.Name}, strconv.FormatFloat(sum.Seconds(), 'g', -1, 64))
		sample("roll_request_duration_seconds_count", []string{"service", st.Name}, u(total))
	}
	if st := g.tlsStatus(); st != nil {
		writeTLSMetrics(st, family, sample)
	}
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
