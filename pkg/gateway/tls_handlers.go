package gateway

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// hsts wraps the TLS listener's handler so that every final answer carries
// Strict-Transport-Security (TLSConfig.HSTS), the gateway's word over an app's.
func hsts(next http.Handler, maxAge time.Duration) http.Handler {
	value := "max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&hstsWriter{ResponseWriter: w, value: value}, r)
	})
}

// hstsWriter sets the header at the final status, so that no clearing of the header map before
// it (a retry on another backend) loses it.
type hstsWriter struct {
	http.ResponseWriter
	value string
	done  bool
}

func (w *hstsWriter) WriteHeader(status int) {
	if !w.done && status >= 200 {
		w.Header().Set("Strict-Transport-Security", w.value)
		w.done = true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *hstsWriter) Write(p []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController and the relay reach the flusher and hijacker.
func (w *hstsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// redirectToHTTPS is the plain listener's handler when TLSConfig.RedirectHTTP is set: every
// request gets a 308 (method and body kept) to the same host, path and query over https.
func redirectToHTTPS(port int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "" {
			plainAnswer(w, http.StatusBadRequest, "400 bad request: this port redirects to https, which needs the Host header\n")
			return
		}
		name, _ := splitHostPort(r.Host)
		authority := name
		if port != DefaultHTTPSPort {
			authority = net.JoinHostPort(name, strconv.Itoa(port))
		} else if strings.Contains(name, ":") {
			authority = "[" + name + "]"
		}
		uri := r.URL.RequestURI()
		if !strings.HasPrefix(uri, "/") {
			uri = "/" // OPTIONS *
		}
		w.Header().Set("Location", "https://"+authority+uri)
		plainAnswer(w, http.StatusPermanentRedirect, "308 permanent redirect: use https\n")
	})
}
