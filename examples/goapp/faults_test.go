package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultyApp is the app with its failure switches, on a settable clock, whose
// SLOW delays are recorded instead of slept.
func faultyApp(t *testing.T, cfg config) (*httptest.Server, *clock, func() []time.Duration) {
	t.Helper()
	cfg.route, cfg.version = "r1", "v1"
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	a := newApp(cfg, c.now, slog.New(slog.DiscardHandler))
	var mu sync.Mutex
	var slept []time.Duration
	a.faults.sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		slept = append(slept, d)
		return nil
	}
	srv := httptest.NewServer(a.handler("http", headerActivation))
	t.Cleanup(srv.Close)
	return srv, c, func() []time.Duration { mu.Lock(); defer mu.Unlock(); return append([]time.Duration(nil), slept...) }
}

// failedOf asks path n times and returns which requests (from 1) got 500.
func failedOf(t *testing.T, url string, n int) []int {
	t.Helper()
	var failed []int
	for i := 1; i <= n; i++ {
		code, _, _ := get(t, http.DefaultClient, url)
		switch code {
		case http.StatusInternalServerError:
			failed = append(failed, i)
		case http.StatusOK:
		default:
			t.Fatalf("request %d: status %d; want 200 or 500", i, code)
		}
	}
	return failed
}

func TestFailRateFailsAnExactEvenShareOnceReady(t *testing.T) {
	srv, clk, _ := faultyApp(t, config{failRate: 2000, readyDelay: 5 * time.Second}) // 20 %
	if got := failedOf(t, srv.URL+"/", 10); len(got) != 0 {
		t.Fatalf("before ready, requests %v failed; want none (the release is not serving yet)", got)
	}
	clk.add(5 * time.Second)
	got := failedOf(t, srv.URL+"/", 100)
	if len(got) != 20 {
		t.Fatalf("%d of 100 failed (%v); want exactly 20", len(got), got)
	}
	for i, n := range got {
		if n != 5*(i+1) {
			t.Fatalf("failed requests %v; want every 5th", got)
		}
	}
	// Every page counts in the same spread: requests 101-105, to /slow, fail at 105.
	if got := failedOf(t, srv.URL+"/slow?ms=0", 5); fmt.Sprint(got) != "[5]" {
		t.Errorf("/slow after 100 pages: failed %v; want [5], the 105th page request", got)
	}
}

func TestFailRateNeverTouchesHealth(t *testing.T) {
	srv, _, slept := faultyApp(t, config{failRate: failRateScale, slow: time.Second})
	for range 5 {
		if code, body, _ := get(t, http.DefaultClient, srv.URL+"/health"); code != 200 || body != "ok" {
			t.Fatalf("/health: %d %q; want 200 ok: the switches must let the release become ready", code, body)
		}
	}
	if s := slept(); len(s) != 0 {
		t.Errorf("/health slept %v; want it never slowed", s)
	}
	if code, body, _ := get(t, http.DefaultClient, srv.URL+"/"); code != 500 || body != "failing: FAIL_RATE is set" {
		t.Errorf("page at FAIL_RATE=1: %d %q; want 500 failing: FAIL_RATE is set", code, body)
	}
}

func TestFailAfterStartsTheFailuresLater(t *testing.T) {
	srv, clk, _ := faultyApp(t, config{failRate: 5000, readyDelay: time.Second, failAfter: 30 * time.Second})
	clk.add(time.Second + 29*time.Second)
	if got := failedOf(t, srv.URL+"/", 10); len(got) != 0 {
		t.Fatalf("before FAIL_AFTER, requests %v failed; want none", got)
	}
	clk.add(time.Second)
	if got := failedOf(t, srv.URL+"/", 10); fmt.Sprint(got) != "[2 4 6 8 10]" {
		t.Errorf("after FAIL_AFTER, failed %v; want [2 4 6 8 10]: counting starts there", got)
	}
}

func TestSlowDelaysPagesOnceReady(t *testing.T) {
	srv, clk, slept := faultyApp(t, config{slow: 250 * time.Millisecond, readyDelay: time.Second})
	get(t, http.DefaultClient, srv.URL+"/")
	if s := slept(); len(s) != 0 {
		t.Fatalf("before ready slept %v; want nothing", s)
	}
	clk.add(time.Second)
	if code, _, _ := get(t, http.DefaultClient, srv.URL+"/"); code != 200 {
		t.Fatalf("slow page: status %d; want 200", code)
	}
	if s := slept(); fmt.Sprint(s) != "[250ms]" {
		t.Errorf("slept %v; want [250ms]", s)
	}
}

func TestSlowReallyWaits(t *testing.T) {
	const slow = 50 * time.Millisecond
	a := newApp(config{route: "r1", version: "v1", slow: slow}, time.Now, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(a.handler("http", headerActivation))
	t.Cleanup(srv.Close)
	start := time.Now()
	if code, _, _ := get(t, http.DefaultClient, srv.URL+"/"); code != 200 {
		t.Fatalf("status %d", code)
	}
	if took := time.Since(start); took < slow {
		t.Errorf("answered after %s; SLOW=%s must delay it at least that long", took, slow)
	}
}

func TestFailsSpreadsExactly(t *testing.T) {
	for _, rate := range []uint64{1, 29, 2900, 3333, 5000, 9999, failRateScale} {
		f := &faults{rate: rate}
		var n uint64
		for i := uint64(1); i <= 3*failRateScale; i++ {
			if f.fails(i) {
				n++
			}
			if want := i * rate / failRateScale; n != want {
				t.Fatalf("rate %d/%d: %d failed after %d; want %d", rate, failRateScale, n, i, want)
			}
		}
	}
}

func TestEnvRate(t *testing.T) {
	for in, want := range map[string]uint64{"": 0, "0": 0, "0.2": 2000, "20%": 2000, " 5 % ": 500, "1": failRateScale, "100%": failRateScale, "0.29": 2900} {
		got, err := envRate(envOf(map[string]string{"FAIL_RATE": in}), "FAIL_RATE")
		if err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"1.5", "-0.1", "101%", "NaN", "often", "%"} {
		if _, err := envRate(envOf(map[string]string{"FAIL_RATE": in}), "FAIL_RATE"); err == nil || !strings.Contains(err.Error(), "FAIL_RATE") {
			t.Errorf("%q: err %v; want one naming FAIL_RATE", in, err)
		}
	}
}
