package apachetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Start retries with another port at most this often when one was taken before httpd bound it.
const maxStartAttempts = 5

// stopGrace bounds how long Stop lets httpd's workers finish after SIGTERM before the group is killed.
const stopGrace = 10 * time.Second

// Apache is one running (or stopped) httpd.
type Apache struct {
	opts Options // with defaults applied
	dir  string  // ServerRoot
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed once httpd has exited and been reaped
}

// Start starts an httpd with mod_jk for this test and waits until it answers. It skips or fails the test
// as Require does when httpd or mod_jk is missing, fails it when httpd does not come up (with the end of
// its logs in the message), and stops httpd when the test ends.
func Start(t testing.TB, opts Options) *Apache {
	t.Helper()
	Require(t)
	a, err := start(opts, t.TempDir())
	if err != nil {
		t.Fatalf("apachetest: %v", err)
	}
	t.Cleanup(a.Stop)
	return a
}

// start lays a ServerRoot in dir and starts httpd on a free port.
func start(opts Options, dir string) (*Apache, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	a := &Apache{opts: opts, dir: dir}
	if err := layDir(dir, opts); err != nil {
		return nil, fmt.Errorf("preparing ServerRoot %s: %w", dir, err)
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		a.port = port
		if err := writeHTTPDConf(dir, opts, port); err != nil {
			return nil, err
		}
		err = a.boot()
		if err == nil {
			return a, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == maxStartAttempts {
			return nil, a.withLog(err)
		}
	}
}

// errPortTaken means httpd could not bind its port.
var errPortTaken = errors.New("the port was already in use")

// boot runs httpd in the foreground (so that it stays our child and its pid is the parent's) and waits
// until it answers a request.
func (a *Apache) boot() error {
	console, err := os.OpenFile(a.consoleLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening the console log: %w", err)
	}
	defer console.Close() // the child keeps its own descriptor
	conf := filepath.Join(a.dir, "httpd.conf")
	cmd := exec.Command(binary(), "-d", a.dir, "-f", conf, "-DFOREGROUND")
	cmd.Dir = a.dir
	cmd.Stdout, cmd.Stderr = console, console
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", binary(), err)
	}
	a.cmd, a.done = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait() // its exit status says nothing the logs do not
		close(a.done)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), a.opts.StartTimeout)
	defer cancel()
	err = a.waitAnswering(ctx)
	if err == nil {
		return nil
	}
	a.kill()
	if b, _ := os.ReadFile(a.consoleLog()); strings.Contains(string(b), "Address already in use") {
		_ = os.Truncate(a.consoleLog(), 0) // the next attempt must not see this one's complaint
		return fmt.Errorf("%w: %v", errPortTaken, err)
	}
	return err
}

// waitAnswering polls until httpd answers any HTTP request (its workers accept), it exits, or ctx ends.
func (a *Apache) waitAnswering(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(a.URL("/apachetest-ready"))
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-a.done:
			return errors.New("httpd exited before it answered")
		case <-ctx.Done():
			return fmt.Errorf("waiting for httpd to answer: %w (last: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// Addr is the host:port httpd listens on.
func (a *Apache) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(a.port)) }

// URL is the http:// URL of path (which starts with "/").
func (a *Apache) URL(path string) string { return "http://" + a.Addr() + path }

// Dir is the ServerRoot, holding httpd.conf, workers.properties and logs/.
func (a *Apache) Dir() string { return a.dir }

// Stop sends SIGTERM to httpd (it stops its workers) and waits for it, killing its process group after
// stopGrace. Stopping a stopped httpd does nothing.
func (a *Apache) Stop() {
	if a.cmd == nil || a.exited() {
		return
	}
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		a.kill()
		return
	}
	select {
	case <-a.done:
	case <-time.After(stopGrace):
		a.kill()
	}
}

// kill sends SIGKILL to httpd's process group and waits for the parent to be reaped.
func (a *Apache) kill() {
	if !a.exited() {
		killGroup(a.cmd.Process)
	}
	<-a.done
}

func (a *Apache) exited() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// LogTail returns the last n lines of each of httpd's logs: its console, error.log and mod_jk.log.
func (a *Apache) LogTail(n int) string {
	var b strings.Builder
	for _, name := range []string{"console.log", "error.log", "mod_jk.log"} {
		fmt.Fprintf(&b, "--- %s\n", name)
		data, err := os.ReadFile(filepath.Join(a.dir, "logs", name))
		if err != nil {
			fmt.Fprintf(&b, "(%v)\n", err)
			continue
		}
		lines := strings.SplitAfter(string(data), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		b.WriteString(strings.Join(lines, ""))
	}
	return b.String()
}

func (a *Apache) consoleLog() string { return filepath.Join(a.dir, "logs", "console.log") }

// withLog adds where httpd ran and the end of its logs to err, for the person reading the failure.
func (a *Apache) withLog(err error) error {
	return fmt.Errorf("httpd on %s (ServerRoot %s): %w\n%s", a.Addr(), a.dir, err, a.LogTail(20))
}

// freePort returns a port that was free on 127.0.0.1 a moment ago; another process may take it before
// httpd binds it, which start handles by retrying.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
