package ajp

import (
	"net/http"
	"net/textproto"
	"strings"
)

// What SEND_HEADERS may carry: every byte of it comes from the backend, and the gateway writes the
// headers on to its client.

// check checks SEND_HEADERS (parsed into sh) of the reply to a request of method, as the gateway
// will relay them to its client: a status of three digits, header names that are tokens, values
// without control characters, and unambiguous framing: exactly one Content-Length of 1*DIGIT (no
// sign, space or list), and never with a Transfer-Encoding. Alone, a Transfer-Encoding describes
// the backend's own hop, which AJP frames with its packets; like net/http's client, the Transport
// keeps it out of the header the caller relays (addTo). It returns the body length the reply
// announces (-1: none; 0 for a status without a body) and whether the reply has a body at all:
// not for HEAD, 1xx, 204 and 304, whose length stays what the backend announced for HEAD only, as
// net/http does.
func (sh *SendHeaders) check(method string) (length int64, body bool, err error) {
	if sh.Status < 100 || sh.Status > 999 {
		return 0, false, protocolErrorf("status %d in SEND_HEADERS", sh.Status)
	}
	lengths, te, lengthValue := 0, false, ""
	for _, h := range sh.Headers {
		if !validHeaderName(h.Name) {
			return 0, false, protocolErrorf("header name %q in SEND_HEADERS", h.Name)
		}
		if !validHeaderValue(h.Value) {
			return 0, false, protocolErrorf("header %s with a control character in its value", canonicalName(h.Name))
		}
		switch {
		case strings.EqualFold(h.Name, "Content-Length"):
			lengths, lengthValue = lengths+1, h.Value
		case strings.EqualFold(h.Name, "Transfer-Encoding"):
			te = true
		}
	}
	length = -1
	switch {
	case lengths > 1:
		return 0, false, protocolErrorf("%d Content-Length headers in SEND_HEADERS", lengths)
	case lengths == 1 && te:
		return 0, false, protocolErrorf("Content-Length and Transfer-Encoding in SEND_HEADERS")
	case lengths == 1:
		n, ok := parseDigits(lengthValue)
		if !ok {
			return 0, false, protocolErrorf("Content-Length %q in SEND_HEADERS", lengthValue)
		}
		length = n
	}
	switch {
	case method == http.MethodHead:
		return length, false, nil
	case !bodyAllowed(sh.Status):
		return 0, false, nil
	}
	return length, true, nil
}

// addTo adds the checked headers to hdr under net/http's canonical names, in order, leaving out a
// Transfer-Encoding (see check). The usual single value of a name costs no allocation of its own:
// one backing array holds them all.
func (sh *SendHeaders) addTo(hdr http.Header) {
	values := make([]string, len(sh.Headers))
	for i, h := range sh.Headers {
		key := canonicalName(h.Name)
		if key == "Transfer-Encoding" {
			continue
		}
		if vs, ok := hdr[key]; ok {
			hdr[key] = append(vs, h.Value)
			continue
		}
		values[i] = h.Value
		hdr[key] = values[i : i+1 : i+1]
	}
}

// canonicalName is a response header name in net/http's canonical form ("Www-Authenticate"); the
// names of the header codes are looked up, so they cost no allocation.
func canonicalName(name string) string {
	if code, ok := ResponseHeaderCode(name); ok && responseHeaderNames[code-headerCodeBase] == name {
		return responseHeaderKeys[code-headerCodeBase]
	}
	return textproto.CanonicalMIMEHeaderKey(name)
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
