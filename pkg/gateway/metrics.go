package gateway

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"

	"github.com/rollcd/roll/pkg/admin"
)

// serveMetrics writes the Prometheus text format: the gateway's own families by hand (the
// values are already atomics, and a request never touches a metrics library), then the standard
// process and Go runtime families from client_golang's collectors (procmetrics), gathered only
// now, on the scrape.
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
	family("roll_backend_responses_total", "counter", "Answers of the backend that went to the client, by status class (1xx … 5xx; a status above 599 counts as 5xx).")
	for _, s := range services {
		for _, b := range s.Backends {
			r := b.Responses
			for k, v := range [...]uint64{r.Informational, r.Success, r.Redirection, r.ClientError, r.ServerError} {
				sample("roll_backend_responses_total", []string{"service", s.Name, "backend", b.Name, "code", statusClassNames[k]}, u(v))
			}
		}
	}
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
		writeHistogram(sample, "roll_request_duration_seconds", []string{"service", st.Name}, s.latency.snapshot())
	}
	family("roll_backend_request_duration_seconds", "histogram", "Time of the requests the backend answered, from their start to the end of the answer.")
	for _, st := range services {
		if s := svcs[st.Name]; s != nil {
			for _, m := range s.snap.Load().members {
				writeHistogram(sample, "roll_backend_request_duration_seconds", []string{"service", st.Name, "backend", m.spec.Name}, m.b.latency.snapshot())
			}
		}
	}
	if st := g.tlsStatus(); st != nil {
		writeTLSMetrics(st, family, sample)
	}
	if err := g.procMetrics.Write(bw); err != nil {
		g.log.Warn("process metrics incomplete", "err", err)
	}
}

// statusClassNames are the code label of roll_backend_responses_total, by statusClass.
var statusClassNames = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// writeHistogram writes the samples of one histogram with the given labels: its cumulative
// buckets (le), its sum in seconds and its count.
func writeHistogram(sample func(string, []string, string), name string, labels []string, l latencySnapshot) {
	buckets, total, sum := l.cumulative()
	with := func(k, v string) []string { return append(labels[:len(labels):len(labels)], k, v) }
	for k, le := range latencyBuckets {
		sample(name+"_bucket", with("le", strconv.FormatFloat(le, 'g', -1, 64)), strconv.FormatUint(buckets[k], 10))
	}
	sample(name+"_bucket", with("le", "+Inf"), strconv.FormatUint(total, 10))
	sample(name+"_sum", labels, strconv.FormatFloat(sum.Seconds(), 'g', -1, 64))
	sample(name+"_count", labels, strconv.FormatUint(total, 10))
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
