package project

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWatchAndWarmupSettings(t *testing.T) {
	xr := "ajp_secret_env: AJP_SECRET\npaths: [/app/]\nwatch: {window: 2m, max_error_rate: 5%, min_requests: 50}\nwarmup: {requests: 20}"
	p := mustLoad(t, map[string]string{"compose.yaml": rolled(xr, "", "")}, Options{})
	s, _ := p.Rolled("app")
	if s.Watch == nil || *s.Watch != (WatchSettings{Window: 2 * time.Minute, MaxErrorRate: 0.05, MinRequests: 50}) {
		t.Errorf("watch %+v", s.Watch)
	}
	if s.Warmup == nil || *s.Warmup != (WarmupSettings{Path: "/app/", Requests: 20}) {
		t.Errorf("warmup %+v; want the service's first path by default", s.Warmup)
	}
}

func TestWatchRateForms(t *testing.T) {
	for in, want := range map[string]float64{"0.05": 0.05, "5%": 0.05, `"2.5%"`: 0.025, `"0.1"`: 0.1, "1": 1, "100%": 1} {
		xr := "ajp_secret_env: AJP_SECRET\nwatch: {window: 30s, max_error_rate: " + in + "}"
		p := mustLoad(t, map[string]string{"compose.yaml": rolled(xr, "", "")}, Options{})
		s, _ := p.Rolled("app")
		if s.Watch.MaxErrorRate != want {
			t.Errorf("max_error_rate %s: %v; want %v", in, s.Watch.MaxErrorRate, want)
		}
	}
}

func TestWatchDefaultsAndAbsence(t *testing.T) {
	p := mustLoad(t, map[string]string{"compose.yaml": rolled("ajp_secret_env: AJP_SECRET\nwatch: {window: 1m}", "", "")}, Options{})
	s, _ := p.Rolled("app")
	if *s.Watch != (WatchSettings{Window: time.Minute, MaxErrorRate: 0.05, MinRequests: 50}) {
		t.Errorf("watch %+v; want the defaults beside the window", s.Watch)
	}
	p = mustLoad(t, map[string]string{"compose.yaml": rolled("", "", "")}, Options{})
	if s, _ := p.Rolled("app"); s.Watch != nil || s.Warmup != nil {
		t.Errorf("without the keys: watch %+v warmup %+v; want neither", s.Watch, s.Warmup)
	}
}

func TestWatchAndWarmupValidation(t *testing.T) {
	with := func(body string) string { return rolled("ajp_secret_env: AJP_SECRET\n"+body, "", "") }
	const at = "services.app.x-roll"
	tests := []struct{ name, compose, key, contains string }{
		{"no window", with("watch: {max_error_rate: 5%}"), at + ".watch.window", "is required"},
		{"window unit", with("watch: {window: 120}"), at + ".watch.window", "duration"},
		{"window too long", with("watch: {window: 25h}"), at + ".watch.window", "longer than 24h0m0s"},
		{"rate over 100%", with("watch: {window: 1m, max_error_rate: 150%}"), at + ".watch.max_error_rate", "out of range"},
		{"rate zero", with("watch: {window: 1m, max_error_rate: 0}"), at + ".watch.max_error_rate", "more than 0%"},
		{"rate word", with("watch: {window: 1m, max_error_rate: some}"), at + ".watch.max_error_rate", "not a share"},
		{"rate list", with("watch: {window: 1m, max_error_rate: [1]}"), at + ".watch.max_error_rate", "not a list"},
		{"min requests", with("watch: {window: 1m, min_requests: 0}"), at + ".watch.min_requests", "out of range"},
		{"unknown watch key", with("watch: {window: 1m, threshold: 5%}"), at + ".watch.threshold", "keys of " + at + ".watch are max_error_rate, min_requests, window"},
		{"warmup path", with("warmup: {path: app}"), at + ".warmup.path", "must start with /"},
		{"warmup requests", with("warmup: {requests: 0}"), at + ".warmup.requests", "out of range"},
		{"warmup key", with("warmup: {count: 3}"), at + ".warmup.count", "keys of " + at + ".warmup are path, requests"},
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
