// Package procmetrics writes the standard process and Go runtime metrics (process_*, go_*) in
// the Prometheus text format, through prometheus/client_golang's own collectors, so that their
// names, types and meaning are those every dashboard expects. It is the only importer of
// client_golang: the gateway's own families stay hand-written beside it.
package procmetrics

import (
	"fmt"
	"io"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// Registry holds the process and Go runtime collectors. The collectors run only when Write
// is called: they cost a scrape, never a request.
type Registry struct {
	reg *prometheus.Registry
}

// New returns a Registry with the process collector (CPU, memory, file descriptors, start
// time, read from /proc) and the Go collector (goroutines, threads, GC, memstats, go_info).
func New() *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	)
	return &Registry{reg: reg}
}

// Write gathers every collector and writes the families to w in the text format (0.0.4).
// A collector that fails (a /proc file that cannot be read) leaves its families out; the
// others are written, and the error says which failed.
func (r *Registry) Write(w io.Writer) error {
	mfs, gatherErr := r.reg.Gather()
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(w, mf); err != nil {
			return fmt.Errorf("writing metric family %s: %w", mf.GetName(), err)
		}
	}
	if gatherErr != nil {
		return fmt.Errorf("gathering process and Go runtime metrics: %w", gatherErr)
	}
	return nil
}
