package h1

import "strings"

// tokenChars marks RFC 9110 tchar bytes.
var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChars[s[i]] {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// visibleASCII reports whether s has no space, control byte or DEL. Bytes from 0x80 are
// let through as Apache does (browsers send raw UTF-8); the gateway encodes them in paths.
func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// validFieldValue allows what RFC 9110 §5.5 does: visible ASCII, obs-text, spaces and tabs;
// never CR, LF, NUL or another control byte.
func validFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// hostChars marks the bytes of an RFC 3986 reg-name or IP literal and its port.
var hostChars = func() (t [256]bool) {
	for c := range 256 {
		t[c] = tokenChars[c]
	}
	for _, c := range "()*,;=:[]%" {
		t[c] = true
	}
	for _, c := range "|^`#" { // tchar, but not in a host
		t[c] = false
	}
	return t
}()

// validHost checks a Host header or authority: host characters only, an IPv6 literal in
// brackets, and a port of digits. An empty value is valid (RFC 9112 §3.2).
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		if !hostChars[h[i]] {
			return false
		}
	}
	host, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		host, port = h[1:end], h[end+1:]
		if port != "" && port[0] != ':' {
			return false
		}
		if strings.ContainsAny(host, "[]") {
			return false
		}
	} else if i := strings.IndexByte(h, ':'); i >= 0 {
		host, port = h[:i], h[i:]
	}
	if strings.ContainsAny(host, "[]") && !strings.HasPrefix(h, "[") {
		return false
	}
	if port != "" {
		for i := 1; i < len(port); i++ {
			if !isDigit(port[i]) {
				return false
			}
		}
	}
	return true
}
