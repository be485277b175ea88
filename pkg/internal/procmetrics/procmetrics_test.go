package procmetrics

import (
	"bytes"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Write gives the standard families, in a text Prometheus parses, with this process's readings.
func TestWrite(t *testing.T) {
	var buf bytes.Buffer
	if err := New().Write(&buf); err != nil {
		t.Fatalf("Write: %v", err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("the output does not parse: %v", err)
	}
	for name, typ := range map[string]dto.MetricType{
		"process_cpu_seconds_total":     dto.MetricType_COUNTER,
		"process_resident_memory_bytes": dto.MetricType_GAUGE,
		"process_open_fds":              dto.MetricType_GAUGE,
		"go_goroutines":                 dto.MetricType_GAUGE,
		"go_gc_duration_seconds":        dto.MetricType_SUMMARY,
		"go_memstats_sys_bytes":         dto.MetricType_GAUGE,
	} {
		mf := mfs[name]
		if mf == nil || mf.GetType() != typ {
			t.Errorf("%s: %v, want a %v", name, mf, typ)
			continue
		}
		if typ == dto.MetricType_GAUGE && mf.GetMetric()[0].GetGauge().GetValue() <= 0 {
			t.Errorf("%s reads %v, want a positive value", name, mf.GetMetric()[0].GetGauge().GetValue())
		}
	}
}
