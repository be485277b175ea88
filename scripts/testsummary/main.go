// Command testsummary reads `go test -json` on its standard input and shows, as it arrives, what plain
// `go test` would show: each package's result line, and the whole output of every test or package that
// fails. At the end it counts the tests that ran, passed, failed and skipped and says why tests skipped,
// so that a run in which the real-Tomcat tests all skipped cannot pass for a full one.
//
//	go test -json ./... | go run ./scripts/testsummary [-summary FILE]
//
// With -summary the counts go to FILE instead of the standard output, for a caller that runs more
// (the fuzz targets) before it shows them. The last line is "tests: N passed, N failed, N skipped".
// It exits 1 when a test or a package failed, or when the input held no test result at all.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	summaryPath := flag.String("summary", "", "write the counts to this file instead of the standard output")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, *summaryPath); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer, summaryPath string) error {
	start := time.Now()
	s := newSummary(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20) // a test may print long lines
	for sc.Scan() {
		s.line(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading go test's output: %w", err)
	}
	s.finish()

	report := out
	if summaryPath != "" {
		f, err := os.Create(summaryPath)
		if err != nil {
			return fmt.Errorf("writing the summary: %w", err)
		}
		defer f.Close()
		report = f
	}
	s.report(report, time.Since(start))
	if !s.ok() {
		return fmt.Errorf("%s", s.verdict())
	}
	return nil
}
