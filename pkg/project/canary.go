package project

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// CanarySettings are x-roll.canary: every deploy of the service first gives the new
// containers Share of the new sessions and anonymous requests for Window, and the gateway
// promotes or aborts them on their error share and p95 against the old ones'. Zero fields
// take the gateway's defaults (a 2m window, 5 %, 1.5×, 100 requests).
//
//	canary: {share: 10%, window: 2m, max_error_rate: 5%, max_p95_ratio: 1.5, min_requests: 100}
type CanarySettings struct {
	Share        float64
	Window       time.Duration
	MaxErrorRate float64
	MaxP95Ratio  float64
	MinRequests  int
}

// MinCanaryShare, MaxCanaryWindow and MaxSlowStart bound x-roll.canary.share and .window and
// x-roll.slow_start, as the gateway does.
const (
	MinCanaryShare  = 0.0001 // 0.01 %
	MaxCanaryWindow = 24 * time.Hour
	MaxSlowStart    = time.Hour
)

// ParseShare reads a share written as a percentage ("10%", "0.5%") or as a fraction ("0.1").
func ParseShare(s string) (float64, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	if p, ok := strings.CutSuffix(t, "%"); ok {
		t, scale = strings.TrimSpace(p), 100
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a share: write a percentage such as 10%% or a fraction such as 0.1", s)
	}
	f /= scale
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("%q is not a share between 0%% and 100%%", s)
	}
	return f, nil
}

// decodeCanary reads x-roll.canary; nil when absent.
func decodeCanary(o *object) *CanarySettings {
	co := o.object("canary")
	if co == nil {
		return nil
	}
	c := &CanarySettings{}
	if !co.share("share", &c.Share, true) {
		if _, set := co.m["share"]; !set {
			co.d.addf(co.path.child("share"), "is required: the new containers' share of new sessions, such as 10%%")
		}
	} else if c.Share < MinCanaryShare {
		co.d.addf(co.path.child("share"), "%v is less than the smallest share, 0.01%%", c.Share)
	}
	co.duration("window", &c.Window)
	if c.Window > MaxCanaryWindow {
		co.d.addf(co.path.child("window"), "%s is longer than %s", c.Window, MaxCanaryWindow)
	}
	co.share("max_error_rate", &c.MaxErrorRate, false)
	if v, ok := co.value("max_p95_ratio"); ok {
		f, isNum := asFloat(v)
		if !isNum || f < 1 || math.IsInf(f, 0) {
			co.d.addf(co.path.child("max_p95_ratio"), "must be a number of 1 or more (1.5 lets the canary's p95 be half as long again as the old one's), not %s", describe(v))
		} else {
			c.MaxP95Ratio = f
		}
	}
	co.int("min_requests", &c.MinRequests, 1, math.MaxInt32)
	co.finish()
	return c
}

// share reads a share at key (10%, or 0.1); with open, 0 and 100 % are refused. It reports
// whether a valid value was read.
func (o *object) share(key string, dst *float64, open bool) bool {
	v, ok := o.value(key)
	if !ok {
		return false
	}
	var f float64
	var err error
	switch t := v.(type) {
	case string:
		f, err = ParseShare(t)
	default:
		var isNum bool
		if f, isNum = asFloat(v); !isNum {
			err = fmt.Errorf("must be a share such as 10%% or 0.1, not %s", describe(v))
		} else if f < 0 || f > 1 {
			err = fmt.Errorf("%v is not a share between 0 and 1 (write 10%% or 0.1)", f)
		}
	}
	if err == nil && open && (f <= 0 || f >= 1) {
		err = fmt.Errorf("must be more than 0%% and less than 100%%, not %s", describe(v))
	}
	if err != nil {
		o.d.addf(o.path.child(key), "%v", err)
		return false
	}
	*dst = f
	return true
}

// asFloat reads a YAML number (or a string holding one: interpolated values arrive as strings).
func asFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case uint64:
		return float64(t), true
	case float64:
		return t, !math.IsNaN(t)
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}
