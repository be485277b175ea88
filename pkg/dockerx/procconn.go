package dockerx

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

const (
	// helperExitWait bounds how long a read that met the end of a helper's
	// output waits for the helper's exit status, to tell a clean end from a
	// failed one.
	helperExitWait = 5 * time.Second
	// helperStopWait is how long a closed helper may take to exit after
	// SIGTERM before it is killed.
	helperStopWait = 3 * time.Second
	// stderrTail is how much of a helper's standard error is kept for the
	// error that ends its connection: the last lines say what went wrong.
	stderrTail = 4 << 10
)

// processConn is a net.Conn over a child process's standard streams: reads
// return what the process writes to its output, writes go to its input. roll
// reaches an ssh:// engine through one such process per connection.
//
// On unix the pipes are pollable, so deadlines work as on a socket; Windows
// pipes take none (os.ErrNoDeadline), which the docker client never asks for.
// Close ends the process and waits for it.
type processConn struct {
	cmd    *exec.Cmd
	stdin  *os.File // roll's end of the process's input
	stdout *os.File // roll's end of the process's output
	stderr *tailBuffer
	addr   pipeAddr

	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // the process's exit, set before exited is closed
	closing sync.Once
}

// startProcessConn starts name with args and returns the connection to it.
func startProcessConn(name string, args ...string) (*processConn, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("making a pipe for %s: %w", name, err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("making a pipe for %s: %w", name, err)
	}
	c := &processConn{
		cmd:    exec.Command(name, args...),
		stdin:  inW,
		stdout: outR,
		stderr: &tailBuffer{max: stderrTail},
		addr:   pipeAddr{network: name, desc: strings.Join(append([]string{name}, args...), " ")},
		exited: make(chan struct{}),
	}
	c.cmd.Stdin, c.cmd.Stdout, c.cmd.Stderr = inR, outW, c.stderr
	c.cmd.SysProcAttr = helperProcAttr()
	// A child of the helper (an ssh ProxyCommand) may keep the stderr pipe
	// open after the helper is gone; Wait must not wait for it forever.
	c.cmd.WaitDelay = helperStopWait
	err = c.cmd.Start()
	// The child holds its own copies of its ends now; roll keeping them
	// open would hide the child's exit from reads.
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// Read returns the process's output. When the output ends because the
// process failed, the error says how it exited and what it printed.
func (c *processConn) Read(p []byte) (int, error) {
	n, err := c.stdout.Read(p)
	if err == io.EOF {
		err = c.exitError(err)
	}
	return n, err
}

// Write sends p to the process's input.
func (c *processConn) Write(p []byte) (int, error) {
	n, err := c.stdin.Write(p)
	if isBrokenPipe(err) {
		err = c.exitError(err)
	}
	return n, err
}

// exitError turns the end of a stream into the process's own failure, if it
// failed; a process that exits 0 (or has not exited yet) leaves end as is.
func (c *processConn) exitError(end error) error {
	select {
	case <-c.exited:
	case <-time.After(helperExitWait):
		return end
	}
	if c.waitErr == nil {
		return end
	}
	msg := strings.TrimSpace(c.stderr.String())
	if msg == "" {
		msg = "no message"
	}
	return fmt.Errorf("%s: %w: %s", c.addr.desc, c.waitErr, msg)
}

// CloseWrite closes the process's input, which it reads as the end of the
// request stream; its output stays readable.
func (c *processConn) CloseWrite() error {
	return c.stdin.Close()
}

// Close closes both streams and ends the process: asked first (SIGTERM on
// unix), so ssh can say goodbye to the server, then killed if it lingers, and
// waits for it.
func (c *processConn) Close() error {
	c.closing.Do(func() {
		c.stdin.Close()
		c.stdout.Close()
		select {
		case <-c.exited:
			return
		default:
		}
		askHelperToStop(c.cmd.Process)
		select {
		case <-c.exited:
		case <-time.After(helperStopWait):
			killHelper(c.cmd.Process)
			<-c.exited
		}
	})
	return nil
}

func (c *processConn) LocalAddr() net.Addr  { return pipeAddr{network: c.addr.network, desc: "roll"} }
func (c *processConn) RemoteAddr() net.Addr { return c.addr }

func (c *processConn) SetDeadline(t time.Time) error {
	return errors.Join(c.stdout.SetReadDeadline(t), c.stdin.SetWriteDeadline(t))
}

func (c *processConn) SetReadDeadline(t time.Time) error  { return c.stdout.SetReadDeadline(t) }
func (c *processConn) SetWriteDeadline(t time.Time) error { return c.stdin.SetWriteDeadline(t) }

// pipeAddr names the far end of a connection that is not a socket: a
// command, or a command in a container.
type pipeAddr struct {
	network string
	desc    string
}

func (a pipeAddr) Network() string { return a.network }
func (a pipeAddr) String() string  { return a.desc }

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
