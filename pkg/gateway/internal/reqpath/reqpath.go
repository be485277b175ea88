package reqpath

import "strings"

// Normalize returns the normal form of raw, a request path as it came on the wire: percent-encoded,
// without the query, possibly with ";parameters". The gateway routes on the result and forwards the
// result. When raw is already normal the result is raw itself. Every error wraps one of the
// package's Err values; the package documentation gives the rules.
func Normalize(raw string) (string, error) {
	if raw == "" || raw[0] != '/' {
		return "", errAt(ErrNotAbsolute, raw, 0, 16) // enough to tell "*" from "http://…"
	}
	out := lazybuf{s: raw, w: 1} // the leading '/'
	for i := 1; i < len(raw); {
		if raw[i] == '/' {
			i++ // runs of '/' become one
			continue
		}
		end := len(raw)
		if j := strings.IndexByte(raw[i:], '/'); j >= 0 {
			end = i + j
		}
		semi := end
		if j := strings.IndexByte(raw[i:end], ';'); j >= 0 {
			semi = i + j
		}
		d := dots(raw[i:semi])
		if d == 0 {
			if err := out.appendName(raw, i, semi); err != nil {
				return "", err
			}
		}
		if err := checkParams(raw, semi, end); err != nil {
			return "", err
		}
		switch d {
		case 0:
			out.appendString(raw[semi:end]) // parameters as they came
			if end < len(raw) {
				out.append('/')
			}
		case 1:
			// "." leaves with its parameters; out still ends in '/'.
		case 2:
			if !out.pop() {
				return "", errAt(ErrTraversal, raw, i, semi-i)
			}
		}
		i = end + 1
	}
	return out.string(), nil
}

// dots returns 1 if name decodes to ".", 2 if it decodes to "..", and 0 otherwise.
func dots(name string) int {
	n := 0
	for name != "" {
		switch {
		case name[0] == '.':
			name = name[1:]
		case len(name) >= 3 && name[0] == '%' && name[1] == '2' && (name[2] == 'e' || name[2] == 'E'):
			name = name[3:]
		default:
			return 0
		}
		if n++; n > 2 {
			return 0
		}
	}
	return n
}

// appendName appends the segment name raw[from:to] to b with unreserved escapes decoded and the
// hex digits of the others in upper case.
func (b *lazybuf) appendName(raw string, from, to int) error {
	for k := from; k < to; {
		if raw[k] != '%' {
			run := k
			for ; k < to && raw[k] != '%'; k++ {
				if mustEncode(raw[k]) {
					return errAt(ErrRawByte, raw, k, 1)
				}
			}
			b.appendString(raw[run:k])
			continue
		}
		v, err := unescape(raw, k)
		if err != nil {
			return err
		}
		if unreserved(v) {
			b.append(v)
		} else {
			b.append('%')
			b.append(upperHex[v>>4])
			b.append(upperHex[v&0xf])
		}
		k += 3
	}
	return nil
}

// checkParams checks the parameters raw[from:to] of a segment, which are kept as they came or
// removed with a dot segment, but never let through with a byte or escape the name may not hold.
func checkParams(raw string, from, to int) error {
	for k := from; k < to; {
		c := raw[k]
		if c != '%' {
			if mustEncode(c) {
				return errAt(ErrRawByte, raw, k, 1)
			}
			k++
			continue
		}
		if _, err := unescape(raw, k); err != nil {
			return err
		}
		k += 3
	}
	return nil
}

// unescape decodes the escape that starts at raw[at], which is '%', refusing the ones that no
// part of a path may hold.
func unescape(raw string, at int) (byte, error) {
	if at+2 >= len(raw) {
		return 0, errAt(ErrMalformed, raw, at, 3)
	}
	hi, ok1 := fromHex(raw[at+1])
	lo, ok2 := fromHex(raw[at+2])
	if !ok1 || !ok2 {
		return 0, errAt(ErrMalformed, raw, at, 3)
	}
	switch v := hi<<4 | lo; v {
	case '/', '\\':
		return 0, errAt(ErrEncodedSlash, raw, at, 3)
	case 0:
		return 0, errAt(ErrNUL, raw, at, 3)
	default:
		return v, nil
	}
}

// mustEncode reports whether c may not appear raw in a path: see ErrRawByte.
func mustEncode(c byte) bool {
	return c <= ' ' || c >= 0x7f || c == '\\'
}

// unreserved reports whether c is an unreserved character of RFC 3986 §2.3.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

const upperHex = "0123456789ABCDEF"

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
