package gateway

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// traffic keeps workers sending GETs until halt and counts the answers; after mark, every
// success also counts in marked ("after the kill", "after the switch").
type traffic struct {
	ok, failed, marked atomic.Int64
	firstErr           atomic.Value
	marking            atomic.Bool
	stop               chan struct{}
	wg                 sync.WaitGroup
}

// startTraffic starts workers goroutines; url gives the URL of request i of worker w.
func startTraffic(t testing.TB, workers int, url func(w, i int) string) *traffic {
	tr := &traffic{stop: make(chan struct{})}
	for w := range workers {
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-tr.stop:
					return
				default:
				}
				code, body, err := tryGet(url(w, i))
				if err != nil || code != 200 {
					tr.failed.Add(1)
					tr.firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %q %v", code, body, err))
					continue
				}
				tr.ok.Add(1)
				if tr.marking.Load() {
					tr.marked.Add(1)
				}
			}
		}()
	}
	t.Cleanup(tr.halt)
	return tr
}

func (tr *traffic) mark() { tr.marking.Store(true) }

// halt stops the workers and waits for them; it may be called more than once.
func (tr *traffic) halt() {
	select {
	case <-tr.stop:
	default:
		close(tr.stop)
	}
	tr.wg.Wait()
}

// noFailures halts the traffic and fails the test if any request failed.
func (tr *traffic) noFailures(t testing.TB, during string) {
	t.Helper()
	tr.halt()
	if n := tr.failed.Load(); n != 0 {
		t.Fatalf("%d GETs failed %s (first: %v); %d succeeded", n, during, tr.firstErr.Load(), tr.ok.Load())
	}
}
