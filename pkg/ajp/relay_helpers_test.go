package ajp_test

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/rollcd/roll/pkg/ajp"
)

// via is a way to send a request with a Transport: RoundTrip itself, or Forward seen through
// forwarder. Tests of a reply's outcome run both, since both must agree.
type via struct {
	name string
	rt   func(*ajp.Transport) http.RoundTripper
}

var vias = []via{
	{"RoundTrip", func(tr *ajp.Transport) http.RoundTripper { return tr }},
	{"Forward", func(tr *ajp.Transport) http.RoundTripper { return forwarder{tr} }},
}

// eachVia runs test once per via, as subtests.
func eachVia(t *testing.T, test func(t *testing.T, rt func(*ajp.Transport) http.RoundTripper)) {
	for _, v := range vias {
		t.Run(v.name, func(t *testing.T) { test(t, v.rt) })
	}
}

// forwarder makes Transport.Forward look like RoundTrip: Forward runs in its own goroutine, the
// response is returned at WriteStatus, and the body streams through a pipe that ends with
// Forward's error. The request's ajp:// host is the address, its context's RequestInfo the info.
type forwarder struct{ tr *ajp.Transport }

func (f forwarder) RoundTrip(req *http.Request) (*http.Response, error) {
	info, _ := ajp.RequestInfoFrom(req.Context())
	pr, pw := io.Pipe()
	w := &pipeReply{header: http.Header{}, pw: pw, pr: pr, started: make(chan *http.Response, 1)}
	errc := make(chan error, 1)
	go func() {
		err := f.tr.Forward(req.Context(), req.URL.Host, req, info, w)
		switch {
		case w.wroteStatus:
			pw.CloseWithError(err) // nil: io.EOF
		case err == nil:
			errc <- errors.New("Forward returned nil without a reply")
		default:
			errc <- err
		}
	}()
	select {
	case resp := <-w.started:
		return resp, nil
	case err := <-errc:
		return nil, err
	}
}

// pipeReply is the ReplyWriter of forwarder.
type pipeReply struct {
	header      http.Header
	pw          *io.PipeWriter
	pr          *io.PipeReader
	started     chan *http.Response
	wroteStatus bool

	mu      sync.Mutex
	flushes int
}

func (w *pipeReply) Header() http.Header { return w.header }

func (w *pipeReply) WriteStatus(status int, length int64) error {
	w.wroteStatus = true
	w.started <- &http.Response{StatusCode: status, Header: w.header, ContentLength: length, Body: w.pr}
	return nil
}

func (w *pipeReply) Write(p []byte) (int, error) { return w.pw.Write(p) }

func (w *pipeReply) Flush() error {
	w.mu.Lock()
	w.flushes++
	w.mu.Unlock()
	return nil
}
