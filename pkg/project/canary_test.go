package project

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCanarySettings(t *testing.T) {
	xr := "ajp_secret_env: AJP_SECRET\ncanary: {share: 10%, window: 2m, max_error_rate: 5%, max_p95_ratio: 1.5, min_requests: 100}\nslow_start: 30s"
	p := mustLoad(t, map[string]string{"compose.yaml": rolled(xr, "", "")}, Options{})
	s, _ := p.Rolled("app")
	want := CanarySettings{Share: 0.1, Window: 2 * time.Minute, MaxErrorRate: 0.05, MaxP95Ratio: 1.5, MinRequests: 100}
	if s.Canary == nil || *s.Canary != want || s.SlowStart != 30*time.Second {
		t.Fatalf("canary %+v, slow_start %s; want %+v, 30s", s.Canary, s.SlowStart, want)
	}
	p = mustLoad(t, map[string]string{"compose.yaml": rolled("ajp_secret_env: AJP_SECRET\ncanary: {share: 0.25}", "", "")}, Options{})
	if s, _ = p.Rolled("app"); s.Canary == nil || *s.Canary != (CanarySettings{Share: 0.25}) || s.SlowStart != 0 {
		t.Fatalf("a share alone: %+v, %s", s.Canary, s.SlowStart)
	}
	p = mustLoad(t, map[string]string{"compose.yaml": rolled("ajp_secret_env: AJP_SECRET", "", "")}, Options{})
	if s, _ = p.Rolled("app"); s.Canary != nil {
		t.Fatalf("no canary set: %+v", s.Canary)
	}
}

func TestCanaryValidation(t *testing.T) {
	canary := func(body string) string { return rolled("ajp_secret_env: AJP_SECRET\n"+body, "", "") }
	const at = "services.app.x-roll.canary"
	tests := []struct{ name, compose, key, contains string }{
		{"no share", canary("canary: {window: 1m}"), at + ".share", "is required"},
		{"share 100%", canary("canary: {share: 100%}"), at + ".share", "less than 100%"},
		{"share 0", canary("canary: {share: 0}"), at + ".share", "more than 0%"},
		{"share tiny", canary("canary: {share: 0.001%}"), at + ".share", "smallest share"},
		{"share 10", canary("canary: {share: 10}"), at + ".share", "write 10% or 0.1"},
		{"share word", canary("canary: {share: some}"), at + ".share", "not a share"},
		{"window", canary("canary: {share: 10%, window: 30}"), at + ".window", "duration"},
		{"window long", canary("canary: {share: 10%, window: 48h}"), at + ".window", "longer than 24h"},
		{"error rate", canary("canary: {share: 10%, max_error_rate: 150%}"), at + ".max_error_rate", "between 0% and 100%"},
		{"ratio", canary("canary: {share: 10%, max_p95_ratio: 0.5}"), at + ".max_p95_ratio", "1 or more"},
		{"min requests", canary("canary: {share: 10%, min_requests: 0}"), at + ".min_requests", "out of range"},
		{"unknown key", canary("canary: {share: 10%, windw: 1m}"), at + ".windw", "keys of " + at},
		{"slow start", canary("slow_start: 2h"), "services.app.x-roll.slow_start", "longer than 1h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadDir(t, map[string]string{"compose.yaml": tt.compose}, Options{})
			if !errors.Is(err, ErrInvalidProject) {
				t.Fatalf("err = %v, want ErrInvalidProject", err)
			}
			for _, se := range settingErrors(t, err) {
				if se.Key == tt.key {
					if msg := se.Error(); !strings.HasPrefix(msg, "compose.yaml:") || !strings.Contains(msg, tt.contains) {
						t.Errorf("error %q\nwant the file and line and %q", msg, tt.contains)
					}
					return
				}
			}
			t.Fatalf("no error names %s:\n%v", tt.key, err)
		})
	}
}

func TestParseShare(t *testing.T) {
	for in, want := range map[string]float64{"10%": 0.1, "0.5%": 0.005, " 25 % ": 0.25, "0.2": 0.2, "100%": 1, "0": 0} {
		if got, err := ParseShare(in); err != nil || got != want {
			t.Errorf("ParseShare(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "%", "ten", "101%", "-1%", "1.5", "NaN"} {
		if _, err := ParseShare(in); err == nil {
			t.Errorf("ParseShare(%q) accepted", in)
		}
	}
}
