package tomcattest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// maxStartAttempts bounds how often Start retries with new ports when one was taken before Tomcat bound it.
const maxStartAttempts = 5

// Tomcat is one running (or stopped) Tomcat instance. Its methods are safe for concurrent use.
type Tomcat struct {
	opts     Options // with defaults applied
	home     string  // CATALINA_HOME
	base     string  // CATALINA_BASE
	java     string
	httpPort int
	ajpPort  int

	mu   sync.Mutex
	proc *process // the current JVM; nil before the first launch
}

// Start starts a Tomcat for this test and waits until its webapp answers (unless opts.NoWait), with every
// JSP compiled. It skips or fails the test as Require does when Tomcat cannot run here, fails it when
// Tomcat does not come up (with the end of the console log in the message), and kills Tomcat when the
// test ends.
func Start(t testing.TB, opts Options) *Tomcat {
	t.Helper()
	Require(t)
	tc, err := start(opts, t.TempDir())
	if err != nil {
		t.Fatalf("tomcattest: %v", err)
	}
	t.Cleanup(tc.Kill)
	return tc
}

// start lays a CATALINA_BASE in dir and boots Tomcat on new free ports.
func start(opts Options, dir string) (*Tomcat, error) {
	java, err := javaBinary()
	if err != nil {
		return nil, err
	}
	tc := &Tomcat{opts: opts.withDefaults(), home: catalinaHome(), base: dir, java: java}
	if err := layBase(tc.base, tc.home, tc.opts); err != nil {
		return nil, fmt.Errorf("preparing CATALINA_BASE %s: %w", tc.base, err)
	}
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(2)
		if err != nil {
			return nil, err
		}
		tc.httpPort, tc.ajpPort = ports[0], ports[1]
		if err := writeServerXML(tc.base, tc.opts, tc.httpPort, tc.ajpPort); err != nil {
			return nil, err
		}
		err = tc.boot()
		if err == nil {
			return tc, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == maxStartAttempts {
			return nil, tc.withLog(err)
		}
	}
}

// Restart starts Tomcat again on the same ports and CATALINA_BASE (compiled JSPs are kept, sessions are
// not), stopping it first if it still runs. It waits for the webapp as Start does, and fails the test
// when Tomcat does not come back.
func (tc *Tomcat) Restart(t testing.TB) {
	t.Helper()
	tc.Stop()
	// Right after a kill the ports can still be held by someone else who grabbed them meanwhile; keep
	// trying the same ports (callers rely on them) until the start timeout.
	deadline := time.Now().Add(tc.opts.StartTimeout)
	for {
		err := tc.boot()
		if err == nil {
			return
		}
		if !errors.Is(err, errPortTaken) || time.Now().After(deadline) {
			t.Fatalf("tomcattest: restarting %s: %v", tc.opts.Route, tc.withLog(err))
		}
		time.Sleep(pollEvery) // the other owner of the port gives no signal to wait on
	}
}

// boot launches the JVM and waits for it to be usable: the webapp answering (and warmed up), or with
// NoWait only the connectors bound. errPortTaken means a port was in use.
func (tc *Tomcat) boot() error {
	logPath := tc.consoleLog()
	var offset int64
	if fi, err := os.Stat(logPath); err == nil {
		offset = fi.Size()
	}
	p, err := launch(tc.java, tc.home, tc.base, tc.opts.Route, logPath)
	if err != nil {
		return err
	}
	tc.mu.Lock()
	tc.proc = p
	tc.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), tc.opts.StartTimeout)
	defer cancel()
	if tc.opts.NoWait {
		err = waitLogLine(ctx, logPath, offset, initDoneLine, p)
	} else {
		err = waitHealthy(ctx, tc.HTTPAddr(), p)
		if err == nil {
			err = warmUp(ctx, tc.HTTPAddr())
		}
	}
	if err == nil {
		return nil
	}
	p.kill()
	if errors.Is(err, errExited) && logSince(logPath, offset, bindFailedLine) {
		return fmt.Errorf("%w: %v", errPortTaken, err)
	}
	return err
}

// WaitReady waits until the webapp answers GET /app/health.jsp with 200 and warms its pages up, bounded
// by the start timeout; it fails the test with the console log otherwise. For instances started with
// NoWait (a SlowStart webapp, say) once the test has checked what it wanted to see before readiness.
func (tc *Tomcat) WaitReady(t testing.TB) {
	t.Helper()
	p := tc.current()
	if p == nil {
		t.Fatal("tomcattest: WaitReady before Start")
	}
	ctx, cancel := context.WithTimeout(context.Background(), tc.opts.StartTimeout)
	defer cancel()
	err := waitHealthy(ctx, tc.HTTPAddr(), p)
	if err == nil {
		err = warmUp(ctx, tc.HTTPAddr())
	}
	if err != nil {
		t.Fatalf("tomcattest: %v", tc.withLog(err))
	}
}

// HTTPAddr is the host:port of the HTTP connector.
func (tc *Tomcat) HTTPAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(tc.httpPort)) }

// AJPAddr is the host:port of the AJP connector.
func (tc *Tomcat) AJPAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(tc.ajpPort)) }

// HTTPURL is the http:// URL of path (which starts with "/", e.g. "/app/hello.jsp") on the HTTP connector.
func (tc *Tomcat) HTTPURL(path string) string { return "http://" + tc.HTTPAddr() + path }

// AJPURL is the ajp:// URL of path on the AJP connector, as ajp.Transport takes it.
func (tc *Tomcat) AJPURL(path string) string { return "ajp://" + tc.AJPAddr() + path }

// Secret is the AJP connector's secret.
func (tc *Tomcat) Secret() string { return tc.opts.Secret }

// Route is the Engine jvmRoute: session ids end in "." + Route.
func (tc *Tomcat) Route() string { return tc.opts.Route }

// Options returns the options the instance runs with, defaults filled in.
func (tc *Tomcat) Options() Options { return tc.opts }

// Base is the CATALINA_BASE directory.
func (tc *Tomcat) Base() string { return tc.base }

// Stop shuts Tomcat down gracefully (SIGTERM, as `docker stop` does) and waits for it to exit, killing it
// if it takes longer than 30 s. Stopping a stopped Tomcat does nothing.
func (tc *Tomcat) Stop() {
	if p := tc.current(); p != nil {
		p.terminate()
	}
}

// Kill kills Tomcat's process group with SIGKILL (a crash: in-flight requests and connections break)
// and waits for it to exit. Killing a stopped Tomcat does nothing.
func (tc *Tomcat) Kill() {
	if p := tc.current(); p != nil {
		p.kill()
	}
}

// Running reports whether the JVM is running.
func (tc *Tomcat) Running() bool {
	p := tc.current()
	return p != nil && !p.exited()
}

func (tc *Tomcat) current() *process {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.proc
}

// LogTail returns the last n lines of Tomcat's console log (all starts of this instance).
func (tc *Tomcat) LogTail(n int) string {
	b, err := os.ReadFile(tc.consoleLog())
	if err != nil {
		return fmt.Sprintf("(no console log: %v)", err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

func (tc *Tomcat) consoleLog() string { return filepath.Join(tc.base, "logs", "console.log") }

// withLog adds where Tomcat ran and the end of its console log to err, for the person reading the failure.
func (tc *Tomcat) withLog(err error) error {
	return fmt.Errorf("tomcat %s (http %s, ajp %s, CATALINA_BASE %s): %w\n--- console log (last 40 lines):\n%s",
		tc.opts.Route, tc.HTTPAddr(), tc.AJPAddr(), tc.base, err, tc.LogTail(40))
}

// Log lines the harness waits for or recognises. The JVM runs with an English locale (see javaArgs), so
// these do not depend on the machine's language.
const (
	initDoneLine   = "Server initialization in ["
	bindFailedLine = "Address already in use"
)

// errPortTaken means Tomcat could not bind one of its ports.
var errPortTaken = errors.New("a port was already in use")

// waitLogLine polls the console log from offset until it contains line, the JVM exits, or ctx ends.
func waitLogLine(ctx context.Context, logPath string, offset int64, line string, p *process) error {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		if logSince(logPath, offset, line) {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w (%v) before logging %q", errExited, p.err, line)
		case <-ctx.Done():
			return fmt.Errorf("waiting for %q in the console log: %w", line, ctx.Err())
		case <-tick.C:
		}
	}
}

// logSince reports whether the console log, from offset on, contains line.
func logSince(logPath string, offset int64, line string) bool {
	f, err := os.Open(logPath)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return false
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	needle := []byte(line)
	for sc.Scan() {
		if bytes.Contains(sc.Bytes(), needle) {
			return true
		}
	}
	return false
}
