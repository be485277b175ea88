package frontdoor

import (
	"bufio"
	"errors"
	"net"
	"os"
	"syscall"
	"time"
)

// step is one write of raw request bytes, after a pause: requests go out exactly as written, split
// where a test wants the front door to wait (100-continue, slow bodies).
type step struct {
	pause      time.Duration
	data       []byte
	closeWrite bool // half-close the connection after this write (the client sends nothing more)
}

// exchange is what one connection brought back.
type exchange struct {
	Responses []*response
	Closed    bool  // the front door closed the connection after the last response
	Reset     bool  // … with a reset
	Open      bool  // the connection was still open and silent at the end
	Err       error // the last response was malformed or cut short
	WriteErr  error // a write failed (the front door had closed early)
	Elapsed   time.Duration
}

// Deadlines of roundTrip: nothing a test sends may hang it.
const (
	dialTimeout = 2 * time.Second
	// replyTimeout bounds the wait for each expected response.
	replyTimeout = 10 * time.Second
	// settle is how long roundTrip waits, after the expected responses, for an unexpected one (a
	// smuggled request answered) or for the front door to close the connection.
	settle = 150 * time.Millisecond
)

// roundTrip sends steps on a new connection to addr while reading: methods lists the requests'
// methods in order (HEAD responses have no body), one response is expected per method, and any
// further response that starts within settle is recorded too.
func roundTrip(addr string, steps []step, methods []string) exchange {
	return roundTripWithin(addr, steps, methods, replyTimeout)
}

// roundTripWithin is roundTrip waiting at most wait for each expected response.
func roundTripWithin(addr string, steps []step, methods []string, wait time.Duration) exchange {
	start := time.Now()
	conn, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		return exchange{Err: err}
	}
	defer conn.Close()
	stop := make(chan struct{})
	wrote := make(chan error, 1)
	go func() { wrote <- writeSteps(conn.(*net.TCPConn), steps, stop) }()

	ex := readAll(conn, methods, wait)
	close(stop)
	ex.WriteErr = <-wrote
	ex.Elapsed = time.Since(start)
	return ex
}

// writeSteps writes each step after its pause, until stop.
func writeSteps(conn *net.TCPConn, steps []step, stop <-chan struct{}) error {
	for _, s := range steps {
		if s.pause > 0 {
			t := time.NewTimer(s.pause)
			select {
			case <-stop:
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		if len(s.data) > 0 {
			if _, err := conn.Write(s.data); err != nil {
				return err
			}
		}
		if s.closeWrite {
			if err := conn.CloseWrite(); err != nil {
				return err
			}
		}
	}
	return nil
}

// readAll reads the expected responses, then waits settle for more or for the end of the connection.
func readAll(conn net.Conn, methods []string, reply time.Duration) exchange {
	var ex exchange
	br := bufio.NewReaderSize(conn, 64<<10)
	for i := 0; ; i++ {
		wait, method := settle, "GET"
		if i < len(methods) {
			wait, method = reply, methods[i]
		}
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		r, err := readResponse(br, method)
		if err != nil {
			switch {
			case isTimeout(err) && errors.Is(err, errNoResponse):
				ex.Open = true
			case isTimeout(err):
				ex.Err, ex.Open = err, true
			case isReset(err):
				ex.Closed, ex.Reset = true, true
			case errors.Is(err, errNoResponse):
				ex.Closed = true
			default:
				ex.Err = err
			}
			return ex
		}
		ex.Responses = append(ex.Responses, r)
		if r.Err != nil {
			ex.Err, ex.Closed, ex.Open = r.Err, !isTimeout(r.Err), isTimeout(r.Err)
			return ex
		}
		if r.Upgrade {
			return ex
		}
		if r.Framing == "close" {
			ex.Closed = true
			return ex
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
