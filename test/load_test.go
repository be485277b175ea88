package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollcd/roll/examples/answer"
)

// load sends GETs at a steady rate for as long as it runs and counts what came back.
type load struct {
	url    string
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	total     int
	versions  map[string]int
	order     []string // versions in the order they were first seen
	failures  []string // what went wrong, for the test's message
	lastSeen  map[string]time.Time
	firstSeen map[string]time.Time
}

// startLoad sends rps requests per second to url from workers goroutines, each a new client
// without cookies (every request is a new visitor), until stop. A request that gets no
// answer within 10 s has failed.
func startLoad(t *testing.T, url string, rps, workers int) *load {
	t.Helper()
	return startLoadFor(t, url, rps, workers, 10*time.Second)
}

// startLoadFor is startLoad with another bound on each request (a pause holds them longer).
func startLoadFor(t *testing.T, url string, rps, workers int, timeout time.Duration) *load {
	t.Helper()
	return startLoadWith(t, url, rps, workers, func() *http.Client {
		return &http.Client{Timeout: timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	})
}

// startLoadWith is startLoad with each worker's client made by newClient (TLS, HTTP/2).
func startLoadWith(t *testing.T, url string, rps, workers int, newClient func() *http.Client) *load {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{url: url, cancel: cancel, versions: map[string]int{}, lastSeen: map[string]time.Time{}, firstSeen: map[string]time.Time{}}
	interval := time.Duration(workers) * time.Second / time.Duration(rps)
	for i := 0; i < workers; i++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			client := newClient()
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				l.one(ctx, client)
			}
		}()
	}
	t.Cleanup(l.stop)
	return l
}

func (l *load) one(ctx context.Context, client *http.Client) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, l.url, nil)
	resp, err := client.Do(req)
	if ctx.Err() != nil {
		return // stopping: a cancelled request is not a failure of roll
	}
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if ctx.Err() != nil {
		return // stopped while the body was read: the cancel cut it, not roll
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	switch {
	case err != nil:
		l.failures = append(l.failures, fmt.Sprintf("%s: %v", now.Format("15:04:05.000"), err))
	case resp.StatusCode != http.StatusOK:
		l.failures = append(l.failures, fmt.Sprintf("%s: HTTP %d %q", now.Format("15:04:05.000"), resp.StatusCode, strings.TrimSpace(string(body))))
	default:
		v := answer.Parse(body).Version
		if v == "" {
			v = "?"
		}
		if l.versions[v] == 0 {
			l.order = append(l.order, v)
			l.firstSeen[v] = now
		}
		l.versions[v]++
		l.lastSeen[v] = now
	}
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// report stops the load and describes it.
func (l *load) report() loadReport {
	l.stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	r := loadReport{Total: l.total, Versions: map[string]int{}, Order: append([]string(nil), l.order...), Failures: append([]string(nil), l.failures...)}
	for k, v := range l.versions {
		r.Versions[k] = v
	}
	if len(l.order) == 2 {
		// After the new version answers first, does the old one still answer new visitors?
		r.OldAfterNew = l.lastSeen[l.order[0]].After(l.firstSeen[l.order[1]].Add(2 * time.Second))
	}
	return r
}

type loadReport struct {
	Total       int
	Versions    map[string]int
	Order       []string
	Failures    []string
	OldAfterNew bool
}

func (r loadReport) String() string {
	keys := make([]string, 0, len(r.Versions))
	for k := range r.Versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{fmt.Sprintf("%d requests, %d failed", r.Total, len(r.Failures))}
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, r.Versions[k]))
	}
	return strings.Join(parts, ", ")
}

// user is one visitor with a session cookie, like a tester in the middle of a flow.
type user struct {
	t      *testing.T
	client *http.Client
	url    string
}

func newUser(t *testing.T, url string) *user {
	jar, _ := cookiejar.New(nil)
	return &user{t: t, url: url, client: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// visit makes one request and returns the version, route and session hit count that answered.
func (u *user) visit() (version, route string, hits int, err error) {
	a, err := u.answer()
	return a.Version, a.Route, a.Hits, err
}

// answer makes one request and returns what the app said of it.
func (u *user) answer() (answer.Answer, error) {
	body, err := u.fetch(u.url)
	return answer.Parse(body), err
}

// get requests another page in the user's session; an answer other than 200 is an error.
func (u *user) get(url string) error {
	_, err := u.fetch(url)
	return err
}

func (u *user) fetch(url string) ([]byte, error) {
	resp, err := u.client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, body)
	}
	return body, nil
}

// clickThroughTheSwitch has the user click every 300 ms until the deploy dep reports its
// switch, and three times after it: every answer must come from v1 on the user's route (its
// own container), the session's hit count one higher each time.
func clickThroughTheSwitch(t *testing.T, u *user, dep *background, route string, hits int) {
	t.Helper()
	switched := make(chan struct{})
	go func() {
		for line := range dep.lines {
			if strings.Contains(line, `"step":"switch"`) && strings.Contains(line, `"status":"done"`) {
				close(switched)
				return
			}
		}
	}()
	deadline := time.Now().Add(90 * time.Second)
	for after := 0; after < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("the deploy never switched:\n%s", dep.output())
		}
		select {
		case <-switched:
			after++
		default:
		}
		v, r, h, err := u.visit()
		if err != nil || v != "v1" || r != route || h != hits+1 {
			t.Fatalf("the session user got %s/%s hits=%d err=%v, want v1/%s hits=%d", v, r, h, err, route, hits+1)
		}
		hits = h
		time.Sleep(300 * time.Millisecond)
	}
}

// endUnderLoad waits for the deploy dep to end, lets the load run one more second and
// reports it: the deploy must exit 0 and no request may have failed. It returns the deploy's
// output and the load's report.
func endUnderLoad(t *testing.T, dep *background, l *load) (string, loadReport) {
	t.Helper()
	code, out := dep.wait(t)
	time.Sleep(time.Second)
	rep := l.report()
	t.Logf("load: %s", rep)
	if code != 0 {
		t.Fatalf("deploy exit %d:\n%s", code, out)
	}
	if len(rep.Failures) > 0 {
		t.Errorf("%d failed requests, first: %v", len(rep.Failures), rep.Failures[:min(5, len(rep.Failures))])
	}
	return out, rep
}
