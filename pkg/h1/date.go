package h1

import (
	"net/http"
	"sync/atomic"
	"time"
)

// dateCache holds the Date header of the current second: formatting it per response would
// allocate.
var dateCache atomic.Pointer[dateEntry]

type dateEntry struct {
	unix int64
	text []byte
}

func httpDate(now time.Time) []byte {
	sec := now.Unix()
	if d := dateCache.Load(); d != nil && d.unix == sec {
		return d.text
	}
	d := &dateEntry{unix: sec, text: now.UTC().AppendFormat(nil, http.TimeFormat)}
	dateCache.Store(d)
	return d.text
}
