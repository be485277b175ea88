package admin

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestWatchSpecDefaultsAndValidation(t *testing.T) {
	w := WatchSpec{Window: Duration(2 * time.Minute)}.WithDefaults()
	if w.MaxErrorRate != DefaultWatchMaxErrorRate || w.MinRequests != DefaultWatchMinRequests {
		t.Errorf("defaults %+v", w)
	}
	if err := w.Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if err := (WatchSpec{Window: Duration(time.Second), MaxErrorRate: 1, MinRequests: 1}).Validate(); err != nil {
		t.Errorf("rate 1: %v", err)
	}
	for _, bad := range []struct {
		w    WatchSpec
		want string
	}{
		{WatchSpec{}, "watch window 0s"},
		{WatchSpec{Window: Duration(-time.Second)}, "watch window"},
		{WatchSpec{Window: Duration(MaxWatchWindow + time.Second)}, "at most 24h0m0s"},
		{WatchSpec{Window: Duration(time.Minute), MaxErrorRate: 1.5}, "max_error_rate 1.5"},
		{WatchSpec{Window: Duration(time.Minute), MaxErrorRate: -0.1}, "max_error_rate"},
		{WatchSpec{Window: Duration(time.Minute), MaxErrorRate: math.NaN()}, "max_error_rate"},
	} {
		err := bad.w.WithDefaults().Validate()
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: err %v; want ErrInvalid naming %q", bad.w, err, bad.want)
		}
	}
}

func TestWarmupSpecValidation(t *testing.T) {
	if err := (WarmupSpec{Path: "/app/?warm=1", Requests: 20}).Validate(); err != nil {
		t.Errorf("good spec: %v", err)
	}
	for _, bad := range []WarmupSpec{{Path: "app/", Requests: 1}, {Path: "/a b", Requests: 1}, {Path: "/", Requests: 0}, {Path: "/", Requests: MaxWarmupRequests + 1}} {
		if err := bad.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err %v; want ErrInvalid", bad, err)
		}
	}
}

func TestRolloutRequestCarriesWatchAndWarmup(t *testing.T) {
	req := RolloutRequest{
		Backends: []BackendSpec{{Name: "b", Address: "h:1"}},
		Watch:    &WatchSpec{Window: Duration(90 * time.Second), MaxErrorRate: 0.02, MinRequests: 10},
		Warmup:   &WarmupSpec{Path: "/app/", Requests: 20},
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"watch":{"window":"1m30s","max_error_rate":0.02,"min_requests":10}`, `"warmup":{"path":"/app/","requests":20}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	var back RolloutRequest
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, req) {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}
