package project

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// WatchSettings are x-roll.watch, the post-switch watch:
//
//	watch:
//	  window: 2m             # required: how long the old containers stay warm after the switch
//	  max_error_rate: 5%     # flip back above this share of 5xx and transport errors (or 0.05)
//	  min_requests: 50       # … once the new containers answered at least this many
//
// During the window the old containers drain but are not stopped, even idle; if the new ones
// fail more than max_error_rate, the gateway flips back (old active, new draining) and the
// deploy ends reverted (exit 6).
type WatchSettings struct {
	Window       time.Duration
	MaxErrorRate float64 // share, 0 < r ≤ 1
	MinRequests  uint64
}

// WarmupSettings are x-roll.warmup: requests the gateway sends each new container once it
// is ready and before it gets any user (default path: the service's first path).
//
//	warmup: {path: /app/, requests: 20}
type WarmupSettings struct {
	Path     string
	Requests int
}

// DefaultWarmupRequests is x-roll.warmup.requests when only the path is given.
const DefaultWarmupRequests = 10

// maxWatchMinRequests bounds x-roll.watch.min_requests.
const maxWatchMinRequests = 1_000_000_000

// decodeWatch reads x-roll.watch; nil when absent.
func decodeWatch(o *object) *WatchSettings {
	wo := o.object("watch")
	if wo == nil {
		return nil
	}
	w := WatchSettings{MaxErrorRate: admin.DefaultWatchMaxErrorRate, MinRequests: admin.DefaultWatchMinRequests}
	if v, ok := wo.m["window"]; !ok || v == nil {
		o.d.addf(wo.path.child("window"), "is required: how long the old containers stay warm after the switch, such as 2m")
	}
	wo.duration("window", &w.Window)
	if w.Window > admin.MaxWatchWindow {
		o.d.addf(wo.path.child("window"), "%s is longer than %s: the old containers stay up that long", w.Window, admin.MaxWatchWindow)
	}
	wo.shareOrPercent("max_error_rate", &w.MaxErrorRate)
	n := int(w.MinRequests)
	wo.int("min_requests", &n, 1, maxWatchMinRequests)
	w.MinRequests = uint64(n)
	wo.finish()
	return &w
}

// decodeWarmup reads x-roll.warmup; nil when absent. path is the default warm-up path.
func decodeWarmup(o *object, path string) *WarmupSettings {
	wo := o.object("warmup")
	if wo == nil {
		return nil
	}
	w := WarmupSettings{Path: path, Requests: DefaultWarmupRequests}
	wo.string("path", &w.Path)
	if !strings.HasPrefix(w.Path, "/") {
		o.d.addf(wo.path.child("path"), "%q must start with /", w.Path)
	}
	wo.int("requests", &w.Requests, 1, admin.MaxWarmupRequests)
	wo.finish()
	return &w
}

// shareOrPercent reads a share above 0 and at most 1, written as 0.05 or "5%".
func (o *object) shareOrPercent(key string, dst *float64) {
	v, ok := o.value(key)
	if !ok {
		return
	}
	at := o.path.child(key)
	var x float64
	switch t := v.(type) {
	case float64:
		x = t
	case int:
		x = float64(t)
	case int64:
		x = float64(t)
	case uint64:
		x = float64(t)
	case string:
		s, scale := strings.TrimSpace(t), 1.0
		if p, isPercent := strings.CutSuffix(s, "%"); isPercent {
			s, scale = strings.TrimSpace(p), 100
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			o.d.addf(at, "%q is not a share: write a percentage such as 5%% or a fraction such as 0.05", t)
			return
		}
		x = f / scale
	default:
		o.d.addf(at, "must be a percentage such as 5%% or a fraction such as 0.05, not %s", describe(v))
		return
	}
	if math.IsNaN(x) || x <= 0 || x > 1 {
		o.d.addf(at, "%s is out of range: it must be more than 0%% and at most 100%% (0.05 is 5%%)", fmt.Sprint(v))
		return
	}
	*dst = x
}
