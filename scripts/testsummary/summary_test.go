package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A run of two packages, as `go test -json` writes it: one passes with a skipped test, one has a failing
// subtest (so its parent fails too) and a test that passes after printing.
const twoPackages = `{"Action":"start","Package":"ex/a"}
{"Action":"run","Package":"ex/a","Test":"TestOK"}
{"Action":"output","Package":"ex/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"ex/a","Test":"TestOK","Output":"    a_test.go:9: chatter nobody needs\n"}
{"Action":"output","Package":"ex/a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"ex/a","Test":"TestOK","Elapsed":0}
{"Action":"run","Package":"ex/a","Test":"TestTomcat"}
{"Action":"output","Package":"ex/a","Test":"TestTomcat","Output":"=== RUN   TestTomcat\n"}
{"Action":"output","Package":"ex/a","Test":"TestTomcat","Output":"    require.go:22: tomcattest: no java: finding java (scripts/install-test-deps.sh installs it)\n"}
{"Action":"output","Package":"ex/a","Test":"TestTomcat","Output":"--- SKIP: TestTomcat (0.00s)\n"}
{"Action":"skip","Package":"ex/a","Test":"TestTomcat","Elapsed":0}
{"Action":"output","Package":"ex/a","Output":"PASS\n"}
{"Action":"output","Package":"ex/a","Output":"ok  \tex/a\t0.01s\n"}
{"Action":"pass","Package":"ex/a","Elapsed":0.01}
{"Action":"run","Package":"ex/b","Test":"TestTable"}
{"Action":"output","Package":"ex/b","Test":"TestTable","Output":"=== RUN   TestTable\n"}
{"Action":"run","Package":"ex/b","Test":"TestTable/empty"}
{"Action":"output","Package":"ex/b","Test":"TestTable/empty","Output":"=== RUN   TestTable/empty\n"}
{"Action":"output","Package":"ex/b","Test":"TestTable/empty","Output":"    b_test.go:14: got 1, want 2\n"}
{"Action":"output","Package":"ex/b","Test":"TestTable/empty","Output":"--- FAIL: TestTable/empty (0.00s)\n"}
{"Action":"fail","Package":"ex/b","Test":"TestTable/empty","Elapsed":0}
{"Action":"output","Package":"ex/b","Test":"TestTable","Output":"--- FAIL: TestTable (0.00s)\n"}
{"Action":"fail","Package":"ex/b","Test":"TestTable","Elapsed":0}
{"Action":"output","Package":"ex/b","Output":"FAIL\n"}
{"Action":"output","Package":"ex/b","Output":"FAIL\tex/b\t0.02s\n"}
{"Action":"fail","Package":"ex/b","Elapsed":0.02}
`

func TestShowsWhatPlainGoTestShowsAndCountsTheRest(t *testing.T) {
	var out strings.Builder
	err := run(strings.NewReader(twoPackages), &out, "")
	if err == nil || !strings.Contains(err.Error(), "2 test(s) and 1 package(s) failed") {
		t.Fatalf("err = %v, want the failures counted", err)
	}
	got := out.String()
	for _, want := range []string{
		"ok  \tex/a\t0.01s\n",
		"    b_test.go:14: got 1, want 2\n--- FAIL: TestTable/empty (0.00s)\n--- FAIL: TestTable (0.00s)\nFAIL\nFAIL\tex/b\t0.02s\n",
		"== go test: 2 packages in 0s: 1 ok, 1 failed, 0 without tests\n",
		"3 tests ran: 1 passed, 1 failed, 1 skipped (and 1 subtests: 0 passed, 1 failed, 0 skipped)\n",
		"skipped, by reason:\n      1  tomcattest: no java: finding java (scripts/install-test-deps.sh installs it)\n",
		"failed:\n  ex/b TestTable\n  ex/b (package)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q; got:\n%s", want, got)
		}
	}
	for _, hidden := range []string{"chatter nobody needs", "=== RUN", "PASS\n"} {
		if strings.Contains(got, hidden) {
			t.Errorf("output shows %q, which plain go test hides; got:\n%s", hidden, got)
		}
	}
	if !strings.HasSuffix(got, "\ntests: 1 passed, 1 failed, 1 skipped\n") {
		t.Errorf("the last line must be the counts CI reads; got:\n%s", got)
	}
}

func TestSummaryFileAndSuccess(t *testing.T) {
	const passing = `{"Action":"run","Package":"ex/a","Test":"TestOK"}
{"Action":"pass","Package":"ex/a","Test":"TestOK"}
{"Action":"output","Package":"ex/a","Output":"ok  \tex/a\t0.01s\n"}
{"Action":"pass","Package":"ex/a"}
{"Action":"output","Package":"ex/c","Output":"?   \tex/c\t[no test files]\n"}
{"Action":"skip","Package":"ex/c"}
`
	path := filepath.Join(t.TempDir(), "summary.txt")
	var out strings.Builder
	if err := run(strings.NewReader(passing), &out, path); err != nil {
		t.Fatalf("a passing run: %v", err)
	}
	if got, want := out.String(), "ok  \tex/a\t0.01s\n?   \tex/c\t[no test files]\n"; got != want {
		t.Errorf("live output %q, want %q (the counts go to the file)", got, want)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "1 ok, 0 failed, 1 without tests") || !strings.HasSuffix(string(data), "tests: 1 passed, 0 failed, 0 skipped\n") {
		t.Errorf("summary file:\n%s", data)
	}
}

func TestATestTheBinaryDiedUnderFails(t *testing.T) {
	// A test binary killed by a timeout: the running test never reports, the package fails.
	const died = `{"Action":"run","Package":"ex/a","Test":"TestHangs"}
{"Action":"output","Package":"ex/a","Test":"TestHangs","Output":"panic: test timed out after 1s\n"}
{"Action":"output","Package":"ex/a","Output":"FAIL\tex/a\t1.01s\n"}
{"Action":"fail","Package":"ex/a"}
`
	var out strings.Builder
	if err := run(strings.NewReader(died), &out, ""); err == nil {
		t.Fatal("a run whose test binary died must fail")
	}
	if got := out.String(); !strings.Contains(got, "panic: test timed out after 1s\n") || !strings.HasSuffix(got, "tests: 0 passed, 1 failed, 0 skipped\n") {
		t.Errorf("got:\n%s", got)
	}
}

func TestBuildFailureAndNoResults(t *testing.T) {
	const broken = `{"ImportPath":"ex/a","Action":"build-output","Output":"ex/a/a.go:3:2: undefined: x\n"}
{"ImportPath":"ex/a","Action":"build-fail"}
{"Action":"start","Package":"ex/a"}
{"Action":"output","Package":"ex/a","Output":"FAIL\tex/a [build failed]\n"}
{"Action":"fail","Package":"ex/a","FailedBuild":"ex/a"}
`
	var out strings.Builder
	if err := run(strings.NewReader(broken), &out, ""); err == nil {
		t.Fatal("a build failure must fail")
	}
	if got := out.String(); !strings.Contains(got, "ex/a/a.go:3:2: undefined: x\n") || !strings.Contains(got, "FAIL\tex/a [build failed]\n") {
		t.Errorf("the compiler's message must show; got:\n%s", got)
	}
	if got := out.String(); !strings.HasSuffix(got, "tests: 0 passed, 1 failed, 0 skipped\n") {
		t.Errorf("a package that failed outside any test must not look like a pass; got:\n%s", got)
	}
	out.Reset()
	err := run(strings.NewReader("go: no packages to test\n"), &out, "")
	if err == nil || !strings.Contains(err.Error(), "no test result") {
		t.Errorf("input without results: %v, want an error", err)
	}
	if !strings.HasPrefix(out.String(), "go: no packages to test\n") {
		t.Errorf("a line that is not JSON must be shown as is; got:\n%s", out.String())
	}
}

func TestSkipReasons(t *testing.T) {
	for _, tt := range []struct {
		lines []string
		want  string
	}{
		{[]string{"=== RUN   TestX\n", "    x_test.go:10: needs docker\n", "--- SKIP: TestX (0.00s)\n"}, "needs docker"},
		{[]string{"=== RUN   TestX\n", "--- SKIP: TestX (0.00s)\n"}, "(no reason given)"},
		{[]string{"    main_test.go:136: -short: skipping\n"}, "-short: skipping"},
		{[]string{"  " + strings.Repeat("y", 200) + "\n"}, strings.Repeat("y", 137) + "..."},
	} {
		if got := skipReason(tt.lines); got != tt.want {
			t.Errorf("skipReason(%q) = %q, want %q", tt.lines, got, tt.want)
		}
	}
}

// The summary names the slowest top-level tests, slowest first, subtests left out, before the
// last line (the one CI reads).
func TestSlowestTests(t *testing.T) {
	var in strings.Builder
	for i, name := range []string{"TestA", "TestB", "TestC", "TestD", "TestE", "TestF", "TestG", "TestH", "TestI", "TestJ", "TestK", "TestL"} {
		in.WriteString(`{"Action":"run","Package":"ex/a","Test":"` + name + `"}` + "\n")
		in.WriteString(`{"Action":"pass","Package":"ex/a","Test":"` + name + `","Elapsed":` + strconv.Itoa(i) + `.5}` + "\n")
	}
	in.WriteString(`{"Action":"pass","Package":"ex/a","Test":"TestL/sub","Elapsed":99}` + "\n")
	in.WriteString(`{"Action":"pass","Package":"ex/a","Elapsed":70}` + "\n")
	var out strings.Builder
	if err := run(strings.NewReader(in.String()), &out, ""); err != nil {
		t.Fatalf("run: %v", err)
	}
	got := out.String()
	want := "slowest tests:\n     11.5s  ex/a TestL\n     10.5s  ex/a TestK\n      9.5s  ex/a TestJ\n"
	if !strings.Contains(got, want) || strings.Contains(got, "TestL/sub") || strings.Contains(got, " TestB\n") {
		t.Errorf("want the 10 slowest top-level tests, slowest first; got:\n%s", got)
	}
	if n := strings.Count(got, "s  ex/a Test"); n != 10 {
		t.Errorf("%d tests named, want 10:\n%s", n, got)
	}
	if lines := strings.Split(strings.TrimSpace(got), "\n"); !strings.HasPrefix(lines[len(lines)-1], "tests: 12 passed") {
		t.Errorf("last line %q, want the counts", lines[len(lines)-1])
	}
}
