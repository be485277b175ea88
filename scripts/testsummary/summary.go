package main

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json), build events included.
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail events name the package here
	Test       string
	Output     string
	Elapsed    float64 // seconds, on a test's or package's result
}

// result is what became of a test, a subtest or a package.
type result int

const (
	passed result = iota
	failed
	skipped
)

// maxReasons is how many distinct skip reasons the summary lists; the rest are counted.
const maxReasons = 8

// maxSlowest is how many of the slowest top-level tests the summary names, so that the suite's
// time stays visible where it grows.
const maxSlowest = 10

// timed is a top-level test that finished and how long it took.
type timed struct {
	name    string // "pkg TestName"
	elapsed time.Duration
}

// summary follows the events: it keeps each running test's output until the test's result says whether
// a person needs to see it, and counts results.
type summary struct {
	out io.Writer

	output  map[string][]string // test key → output lines so far
	running map[string]bool     // test keys started and not finished
	pkgOut  map[string][]string // package → its own output lines (not a test's)

	tests, subtests [3]int          // counts by result
	packages        [3]int          // packages by result; skipped = no test files
	reasons         map[string]int  // top-level skip reason → tests
	failures        []string        // "pkg TestName" of failed tests, and "pkg (package)" of failed packages
	failedIn        map[string]bool // packages with a failed test
	outsideTests    int             // failed packages with no failed test: the build, TestMain, a crash
	finished        []timed         // top-level tests, for the slowest
	sawResult       bool
}

func newSummary(out io.Writer) *summary {
	return &summary{
		out:      out,
		output:   map[string][]string{},
		running:  map[string]bool{},
		pkgOut:   map[string][]string{},
		reasons:  map[string]int{},
		failedIn: map[string]bool{},
	}
}

func testKey(e event) string { return e.Package + " " + e.Test }

// line takes one line of input. A line that is not JSON (go test can print some itself) is shown as is.
func (s *summary) line(b []byte) {
	var e event
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &e) != nil {
		fmt.Fprintf(s.out, "%s\n", b)
		return
	}
	switch {
	case e.Action == "build-output":
		fmt.Fprint(s.out, e.Output) // compiler errors: shown at once, as go test does
	case e.Test != "":
		s.testEvent(e)
	case e.Package != "":
		s.packageEvent(e)
	}
}

func (s *summary) testEvent(e event) {
	key := testKey(e)
	switch e.Action {
	case "run":
		s.running[key] = true
	case "output":
		s.output[key] = append(s.output[key], e.Output)
	case "pass":
		s.testDone(e, key, passed)
	case "fail":
		s.testDone(e, key, failed)
	case "skip":
		s.testDone(e, key, skipped)
	}
}

func (s *summary) testDone(e event, key string, r result) {
	s.sawResult = true
	lines := s.output[key]
	delete(s.output, key)
	delete(s.running, key)
	sub := strings.Contains(e.Test, "/")
	if sub {
		s.subtests[r]++
	} else {
		s.tests[r]++
		s.finished = append(s.finished, timed{key, time.Duration(e.Elapsed * float64(time.Second))})
	}
	switch {
	case r == failed:
		s.show(lines)
		s.failedIn[e.Package] = true
		if !sub {
			s.failures = append(s.failures, e.Package+" "+e.Test)
		}
	case r == skipped && !sub:
		s.reasons[skipReason(lines)]++
	}
}

func (s *summary) packageEvent(e event) {
	switch e.Action {
	case "output":
		s.pkgOut[e.Package] = append(s.pkgOut[e.Package], e.Output)
	case "pass", "skip", "fail":
		s.sawResult = true
		lines := s.pkgOut[e.Package]
		delete(s.pkgOut, e.Package)
		if e.Action == "fail" {
			s.packages[failed]++
			s.unfinished(e.Package)
			s.show(lines)
			if !s.failedIn[e.Package] {
				s.outsideTests++
			}
			s.failures = append(s.failures, e.Package+" (package)")
			return
		}
		if e.Action == "skip" {
			s.packages[skipped]++
		} else {
			s.packages[passed]++
		}
		// A passing package shows its one result line, as plain go test does.
		for _, l := range lines {
			if strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "?") {
				fmt.Fprint(s.out, l)
			}
		}
	}
}

// unfinished counts the tests of pkg that started and never reported (the test binary died under
// them) as failed, and shows what they printed.
func (s *summary) unfinished(pkg string) {
	var keys []string
	for key := range s.running {
		if strings.HasPrefix(key, pkg+" ") {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	for _, key := range keys {
		s.testDone(event{Package: pkg, Test: strings.TrimPrefix(key, pkg+" ")}, key, failed)
	}
}

// finish settles what the input left open: tests of packages that never reported.
func (s *summary) finish() {
	pkgs := map[string]bool{}
	for key := range s.running {
		pkgs[strings.SplitN(key, " ", 2)[0]] = true
	}
	for pkg := range pkgs {
		s.unfinished(pkg)
	}
}

// show prints a failed test's or package's output, without test2json's framing lines.
func (s *summary) show(lines []string) {
	for _, l := range lines {
		if strings.HasPrefix(l, "=== RUN") || strings.HasPrefix(l, "=== PAUSE") ||
			strings.HasPrefix(l, "=== CONT") || strings.HasPrefix(l, "=== NAME") {
			continue
		}
		fmt.Fprint(s.out, l)
	}
}

// logPrefix is the file:line that t.Log and t.Skip put before a message.
var logPrefix = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: `)

// skipReason is the last message a skipped test printed before its SKIP line.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "---") || strings.HasPrefix(l, "===") {
			continue
		}
		l = strings.TrimSpace(logPrefix.ReplaceAllString(lines[i], ""))
		if len(l) > 140 {
			l = l[:137] + "..."
		}
		return l
	}
	return "(no reason given)"
}

func (s *summary) ok() bool {
	return s.sawResult && s.tests[failed] == 0 && s.subtests[failed] == 0 && s.packages[failed] == 0
}

// verdict is the one line said on failure.
func (s *summary) verdict() string {
	if !s.sawResult {
		return "no test result in the input (did go test run with -json?)"
	}
	return fmt.Sprintf("%d test(s) and %d package(s) failed", s.tests[failed]+s.subtests[failed], s.packages[failed])
}

// report writes the counts; the last line is the one CI reads.
func (s *summary) report(w io.Writer, took time.Duration) {
	p := s.packages
	fmt.Fprintf(w, "\n== go test: %d packages in %s: %d ok, %d failed, %d without tests\n",
		p[passed]+p[failed]+p[skipped], took.Round(time.Second), p[passed], p[failed], p[skipped])
	t, st := s.tests, s.subtests
	fmt.Fprintf(w, "%d tests ran: %d passed, %d failed, %d skipped (and %d subtests: %d passed, %d failed, %d skipped)\n",
		t[passed]+t[failed]+t[skipped], t[passed], t[failed], t[skipped],
		st[passed]+st[failed]+st[skipped], st[passed], st[failed], st[skipped])
	if len(s.reasons) > 0 {
		fmt.Fprintln(w, "skipped, by reason:")
		type reason struct {
			text  string
			count int
		}
		var rs []reason
		for text, n := range s.reasons {
			rs = append(rs, reason{text, n})
		}
		sort.Slice(rs, func(i, j int) bool {
			if rs[i].count != rs[j].count {
				return rs[i].count > rs[j].count
			}
			return rs[i].text < rs[j].text
		})
		for i, r := range rs {
			if i == maxReasons {
				rest := 0
				for _, r := range rs[i:] {
					rest += r.count
				}
				fmt.Fprintf(w, "  %5d  for %d other reasons\n", rest, len(rs)-i)
				break
			}
			fmt.Fprintf(w, "  %5d  %s\n", r.count, r.text)
		}
	}
	s.reportSlowest(w)
	if s.outsideTests > 0 {
		fmt.Fprintf(w, "%d package(s) failed outside any test (build, TestMain or a crash): each counts as one failed test below\n", s.outsideTests)
	}
	if len(s.failures) > 0 {
		fmt.Fprintln(w, "failed:")
		for _, f := range s.failures {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	fmt.Fprintf(w, "tests: %d passed, %d failed, %d skipped\n", t[passed], t[failed]+s.outsideTests, t[skipped])
}

// reportSlowest names the maxSlowest slowest top-level tests, slowest first.
func (s *summary) reportSlowest(w io.Writer) {
	if len(s.finished) == 0 {
		return
	}
	slow := append([]timed(nil), s.finished...)
	sort.SliceStable(slow, func(i, j int) bool { return slow[i].elapsed > slow[j].elapsed })
	fmt.Fprintln(w, "slowest tests:")
	for _, t := range slow[:min(maxSlowest, len(slow))] {
		fmt.Fprintf(w, "  %7.1fs  %s\n", t.elapsed.Seconds(), t.name)
	}
}
