// Command loadgen drives the demo: anonymous visitors at a steady rate plus a few
// users with sessions, counting every failed request and which version answered.
// It runs until SIGINT/SIGTERM, then prints a summary (and writes it as JSON with -out).
//
//	go run ./scripts/loadgen -url http://127.0.0.1:8080/ -rps 200 -users 5
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rollcd/roll/examples/answer"
)

type stats struct {
	mu       sync.Mutex
	start    time.Time
	total    int
	failed   int
	errors   map[string]int
	versions map[string]int
	first    map[string]time.Time // when each version first answered a visitor
}

func (s *stats) record(version string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	if err != nil {
		s.failed++
		msg := err.Error()
		if len(msg) > 120 {
			msg = msg[:120]
		}
		s.errors[msg]++
		return
	}
	if _, ok := s.first[version]; !ok {
		s.first[version] = time.Now()
	}
	s.versions[version]++
}

// newest is the version that answered a visitor most recently for the first time.
func (s *stats) newest() (string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v string
	var at time.Time
	for k, t := range s.first {
		if t.After(at) {
			v, at = k, t
		}
	}
	return v, at
}

func (s *stats) line() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.versions))
	for k := range s.versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.versions[k]))
	}
	return fmt.Sprintf("load: %6d requests, %d failed  [%s]", s.total, s.failed, strings.Join(parts, ", "))
}

// user is someone in the middle of a flow: the same session on every click.
type user struct {
	Route   string `json:"route"`
	Version string `json:"version"`
	Clicks  int    `json:"clicks"`
	Kept    bool   `json:"kept"` // every click landed in the same session (hits counted up by one)
	// Moved: the session went on on another version (a handoff), kept all the same.
	Moved     bool   `json:"moved,omitempty"`
	Problem   string `json:"problem,omitempty"`
	LastHits  int    `json:"last_hits"`
	StoppedAt string `json:"stopped_at,omitempty"`
}

type summary struct {
	Seconds  float64        `json:"seconds"`
	Requests int            `json:"requests"`
	Failed   int            `json:"failed"`
	Errors   map[string]int `json:"errors,omitempty"`
	Versions map[string]int `json:"versions"`
	Users    []*user        `json:"users"`
}

func main() {
	url := flag.String("url", "http://127.0.0.1:8080/", "the page to load")
	rps := flag.Int("rps", 200, "anonymous visitors per second (each without cookies)")
	workers := flag.Int("workers", 16, "goroutines sharing the anonymous load")
	users := flag.Int("users", 5, "users with a session who keep clicking until the new version has served for -linger")
	linger := flag.Duration("linger", 3*time.Second, "how long users keep clicking after new visitors reach a new version, before going idle; 0: never idle, they click until the end")
	every := flag.Duration("progress", 3*time.Second, "print a progress line this often (0: never)")
	out := flag.String("out", "", "write the summary as JSON to this file")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st := &stats{start: time.Now(), errors: map[string]int{}, versions: map[string]int{}, first: map[string]time.Time{}}
	var wg sync.WaitGroup

	interval := time.Duration(*workers) * time.Second / time.Duration(max(*rps, 1))
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				v, _, _, err := get(ctx, client, *url)
				if ctx.Err() != nil {
					return
				}
				st.record(v, err)
			}
		}()
	}

	us := make([]*user, *users)
	for i := range us {
		us[i] = &user{Kept: true}
		wg.Add(1)
		go func(u *user) {
			defer wg.Done()
			clickUntilIdle(ctx, st, u, *url, *linger)
		}(us[i])
	}

	if *every > 0 {
		go func() {
			t := time.NewTicker(*every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					fmt.Fprintln(os.Stderr, st.line())
				}
			}
		}()
	}
	<-ctx.Done()
	wg.Wait()

	sum := summary{Seconds: time.Since(st.start).Seconds(), Requests: st.total, Failed: st.failed, Errors: st.errors, Versions: st.versions, Users: us}
	if *out != "" {
		b, _ := json.MarshalIndent(sum, "", "  ")
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
		}
	}
	fmt.Println(st.line())
	if sum.Failed > 0 {
		os.Exit(1)
	}
}

// clickUntilIdle clicks every 400 ms with one session; once new visitors have been
// answered by a version other than this user's for linger, the user goes idle (the
// session then expires on the old container, which lets the drain finish). With linger 0
// the user never goes idle: only a handoff keeps such a session through a deploy.
func clickUntilIdle(ctx context.Context, st *stats, u *user, url string, linger time.Duration) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	tick := time.NewTicker(400 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		v, route, hits, err := get(ctx, client, url)
		if ctx.Err() != nil {
			return
		}
		st.record(v, err)
		if err != nil {
			u.Kept, u.Problem = false, err.Error()
			continue
		}
		u.Clicks++
		switch {
		case u.Clicks == 1:
			u.Route, u.Version = route, v
		case route != u.Route || hits != u.LastHits+1:
			if u.Kept {
				u.Problem = fmt.Sprintf("click %d: moved from %s (hits %d) to %s (hits %d)", u.Clicks, u.Route, u.LastHits, route, hits)
			}
			u.Kept = false
		}
		u.LastHits = hits
		if u.Kept && v != u.Version {
			u.Moved = true
		}
		if linger == 0 {
			continue
		}
		if nv, at := st.newest(); nv != "" && nv != u.Version && time.Since(at) > linger {
			u.StoppedAt = time.Now().Format("15:04:05")
			return
		}
	}
}

func get(ctx context.Context, client *http.Client, url string) (version, route string, hits int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", "", 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", "", 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", "", 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return "", "", 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	a := answer.Parse(body)
	return a.Version, a.Route, a.Hits, nil
}
