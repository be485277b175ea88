// Package browsertest renders pages in a real headless browser — Chromium's headless shell, from
// Debian's chromium-headless-shell — for the tests of what people look at rather than read: the
// gateway's status page and its charts. A test gets the page as the browser parsed it (DOM) and as
// it drew it (Screenshot).
package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// candidates are where Debian's packages put a headless Chromium; ROLL_TEST_BROWSER overrides.
var candidates = []string{"/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/chromium-browser"}

// Require returns the browser to use, or stops the test when there is none: it fails under
// CI=true (CI must never pass by skipping) and skips with the reason otherwise, and in -short mode.
func Require(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browsertest: real browser tests do not run with -short")
	}
	bin, err := find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browsertest: CI=true but %v (scripts/install-test-deps.sh installs chromium-headless-shell)", err)
		}
		t.Skipf("browsertest: %v (scripts/install-test-deps.sh installs chromium-headless-shell)", err)
	}
	return bin
}

func find() (string, error) {
	if b := os.Getenv("ROLL_TEST_BROWSER"); b != "" {
		if _, err := os.Stat(b); err != nil {
			return "", fmt.Errorf("ROLL_TEST_BROWSER=%s: %w", b, err)
		}
		return b, nil
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("no headless Chromium at %v", candidates)
}

// run starts the browser on url with args and returns what it printed on stdout. Each run has its
// own profile directory, so runs never share state, and a deadline, so a stuck browser fails the
// test instead of hanging it.
func run(t testing.TB, bin, url string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all := append([]string{
		"--no-sandbox", // tests run as root in containers and VMs, where Chromium's sandbox cannot start
		"--disable-gpu", "--no-first-run", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(),
	}, args...)
	cmd := exec.CommandContext(ctx, bin, append(all, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("browsertest: %s %s: %v\n%s", filepath.Base(bin), url, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// DOM loads url and returns the document as the browser holds it once loaded, serialised.
func DOM(t testing.TB, bin, url string) string {
	t.Helper()
	return string(run(t, bin, url, "--dump-dom"))
}

// Screenshot loads url in a window of width × height CSS pixels and returns what it drew.
func Screenshot(t testing.TB, bin, url string, width, height int) image.Image {
	t.Helper()
	out := filepath.Join(t.TempDir(), "shot.png")
	run(t, bin, url, fmt.Sprintf("--window-size=%d,%d", width, height), "--screenshot="+out)
	f, err := os.Open(out)
	if err != nil {
		t.Fatalf("browsertest: the browser wrote no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("browsertest: reading the screenshot: %v", err)
	}
	return img
}

// CountColor counts the pixels of img within tolerance (per 8-bit channel) of the colour r, g, b.
func CountColor(img image.Image, r, g, b uint8, tolerance int) int {
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr>>8, r, tolerance) && near(pg>>8, g, tolerance) && near(pb>>8, b, tolerance) {
				n++
			}
		}
	}
	return n
}

func near(v uint32, want uint8, tolerance int) bool {
	d := int(v) - int(want)
	return d >= -tolerance && d <= tolerance
}
