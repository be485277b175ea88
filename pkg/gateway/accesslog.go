package gateway

import (
	"net/http"
	"time"
)

// serveLogged proxies r through s and logs one line, when cfg.AccessLog asks for it.
func (g *Gateway) serveLogged(w http.ResponseWriter, r *http.Request, s *service) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	start := time.Now()
	broken := s.serve(rec, r)
	g.log.Info("request", "service", s.name, "method", r.Method, "path", r.URL.Path,
		"status", rec.status, "bytes", rec.bytes, "duration", time.Since(start), "remote", r.RemoteAddr, "broken", broken)
	if broken {
		panic(http.ErrAbortHandler)
	}
}

// statusRecorder remembers the status and size of an answer. Unwrap lets
// http.ResponseController reach Flush and Hijack (WebSockets) underneath.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	n, err := s.ResponseWriter.Write(p)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
