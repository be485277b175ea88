package gateway

import (
	"net/http"
	"net/textproto"
	"strings"
)

// The hop-by-hop rules of net/http/httputil.ReverseProxy, for the AJP path that does without
// it: the answers must stay what they were behind ReverseProxy.

// dropHopByHop removes from an answer's header the fields that belong to the backend's
// connection only (RFC 9110 §7.6.1): those its Connection field names, and the usual ones.
func dropHopByHop(h http.Header) {
	for _, f := range h["Connection"] {
		for sf := range strings.SplitSeq(f, ",") {
			if sf = textproto.TrimString(sf); sf != "" {
				h.Del(sf)
			}
		}
	}
	for k := range h {
		switch k {
		case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
			"Te", "Trailer", "Transfer-Encoding", "Upgrade":
			delete(h, k)
		}
	}
}

// requestedUpgrade is the protocol a client asks to switch to: the first Upgrade value when
// Connection lists "upgrade", else "".
func requestedUpgrade(h http.Header) string {
	for _, v := range h["Connection"] {
		for t := range strings.SplitSeq(v, ",") {
			if asciiEqualFold(strings.Trim(t, " \t"), "upgrade") {
				if u := h["Upgrade"]; len(u) > 0 {
					return u[0]
				}
				return ""
			}
		}
	}
	return ""
}

// printableASCII reports whether s has only bytes from ' ' to '~'.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// asciiEqualFold is strings.EqualFold for ASCII only: a token matches no other script's letters.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
