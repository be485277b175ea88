package ajp

import (
	"net/http"
	"strings"
)

// What SEND_HEADERS may carry: every byte of it comes from the backend, and the gateway writes the
// headers on to its client.

// responseLength returns the body length that SEND_HEADERS announces, -1 when it announces none.
// The backend's framing must be unambiguous, because the gateway's client will trust it: exactly
// one Content-Length of 1*DIGIT (no sign, space or list), and never with a Transfer-Encoding.
// Alone, a Transfer-Encoding describes the backend's own hop, which AJP frames with its packets;
// like net/http's client, the Transport keeps it out of the header the caller relays.
func responseLength(hdr http.Header) (int64, error) {
	_, te := hdr["Transfer-Encoding"]
	vs := hdr["Content-Length"]
	switch {
	case len(vs) == 0:
		if te {
			delete(hdr, "Transfer-Encoding")
		}
		return -1, nil
	case len(vs) > 1:
		return 0, protocolErrorf("%d Content-Length headers in SEND_HEADERS", len(vs))
	case te:
		return 0, protocolErrorf("Content-Length and Transfer-Encoding in SEND_HEADERS")
	}
	n, ok := parseDigits(vs[0])
	if !ok {
		return 0, protocolErrorf("Content-Length %q in SEND_HEADERS", vs[0])
	}
	return n, nil
}

// parseDigits parses a decimal number of at most 18 digits (so it cannot overflow), and nothing
// else: strconv would also take a sign.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// validHeaderName reports whether name is an HTTP token, so that no backend can smuggle a line
// break or a separator into the headers the gateway writes to its client.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7F || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v is a field value of RFC 9110: no control character but HTAB.
// CR, LF and NUL would end or cut the header line the gateway writes; the others have no place in
// a header, and Tomcat itself replaces them with spaces, so only a hostile backend sends them.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7F {
			return false
		}
	}
	return true
}
