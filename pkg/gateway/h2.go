package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/rollcd/roll/pkg/h1"
)

// newH2Server is the server of the TLS listener's HTTP/2 connections: net/http's, whose HTTP/2
// is kept up to date with the protocol's attacks (rapid reset, CONTINUATION floods), with the
// gateway's limits. It serves the same handler as every other listener; h2Request makes an
// HTTP/2 request look to it as pkg/h1's do.
func (g *Gateway) newH2Server(h http.Handler) *http.Server {
	h2 := &http.HTTP2Config{MaxConcurrentStreams: g.cfg.TLS.HTTP2MaxStreams}
	if g.cfg.WriteTimeout > 0 {
		h2.WriteByteTimeout = g.cfg.WriteTimeout // a connection nothing can be written to
	}
	return &http.Server{
		Handler:           g.h2Request(h),
		ReadHeaderTimeout: g.cfg.ReadHeaderTimeout,
		IdleTimeout:       g.cfg.IdleTimeout,
		MaxHeaderBytes:    g.cfg.MaxHeaderBytes, // advertised as SETTINGS_MAX_HEADER_LIST_SIZE
		ConnContext:       tlsConnContext,
		ErrorLog:          g.errorLog,
		HTTP2:             h2,
	}
}

// h2Request adapts an HTTP/2 request to the gateway's handler, which was written for pkg/h1:
// the same limits on the request head (a request line and a field count pkg/h1 would refuse
// are refused), a body without content as http.NoBody, body errors as pkg/h1's (a client's
// fault, never a backend's), and the body read and answer write timeouts per read and per
// write, as pkg/h1 bounds them.
func (g *Gateway) h2Request(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, reason := refuseH2(r); status != 0 {
			plainAnswer(w, status, fmt.Sprintf("%d %s: %s\n", status, http.StatusText(status), reason))
			return
		}
		ctl := http.NewResponseController(w)
		if r.ContentLength == 0 {
			r.Body = http.NoBody // net/http leaves a body open on a stream that ended with its head
		} else {
			r.Body = &h2Body{rc: r.Body, ctl: ctl, timeout: g.cfg.BodyReadTimeout}
		}
		if g.cfg.WriteTimeout > 0 {
			w = &h2Writer{ResponseWriter: w, ctl: ctl, timeout: g.cfg.WriteTimeout}
		}
		next.ServeHTTP(w, r)
	})
}

// refuseH2 returns the status and reason for an HTTP/2 request pkg/h1 would refuse.
func refuseH2(r *http.Request) (int, string) {
	switch {
	case r.Method == http.MethodConnect:
		return http.StatusMethodNotAllowed, "CONNECT is not served here"
	case r.Host == "":
		return http.StatusBadRequest, "the request has no :authority or Host"
	case len(r.RequestURI) > h1.DefaultMaxRequestLine:
		return http.StatusRequestURITooLong, "the request's path is too long"
	}
	fields := 0
	for _, vs := range r.Header {
		fields += len(vs)
	}
	if fields > h1.DefaultMaxHeaderFields {
		return http.StatusRequestHeaderFieldsTooLarge, "the request has too many header fields"
	}
	return 0, ""
}

// h2Body is an HTTP/2 request body whose every read may wait for the client at most timeout
// (0 or less: no limit), and whose failures wrap pkg/h1's body errors.
type h2Body struct {
	rc      io.ReadCloser
	ctl     *http.ResponseController
	timeout time.Duration
}

func (b *h2Body) Read(p []byte) (int, error) {
	if b.timeout > 0 {
		// Only the time spent in Read counts, as in pkg/h1: the stream's deadline is a timer
		// that would end the body even while nobody waits for it.
		_ = b.ctl.SetReadDeadline(time.Now().Add(b.timeout))
		defer b.ctl.SetReadDeadline(time.Time{})
	}
	n, err := b.rc.Read(p)
	switch {
	case err == nil, err == io.EOF:
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = fmt.Errorf("%w: %w", h1.ErrBodyTimeout, err)
	default: // the client reset the stream or the connection ended
		err = fmt.Errorf("%w: %w", h1.ErrBodyTruncated, err)
	}
	return n, err
}

func (b *h2Body) Close() error { return b.rc.Close() }

// h2Writer bounds each write of an answer to an HTTP/2 client, as pkg/h1 bounds each write
// to a connection: a stream whose client stops reading (no flow-control credit) is reset
// after timeout, and its backend request ends.
type h2Writer struct {
	http.ResponseWriter
	ctl     *http.ResponseController
	timeout time.Duration
}

func (w *h2Writer) Write(p []byte) (int, error) {
	_ = w.ctl.SetWriteDeadline(time.Now().Add(w.timeout))
	defer w.ctl.SetWriteDeadline(time.Time{})
	return w.ResponseWriter.Write(p)
}

// FlushError flushes what was written, bounded as a write.
func (w *h2Writer) FlushError() error {
	_ = w.ctl.SetWriteDeadline(time.Now().Add(w.timeout))
	defer w.ctl.SetWriteDeadline(time.Time{})
	return w.ctl.Flush()
}

// Unwrap lets http.ResponseController reach the stream's own writer.
func (w *h2Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
