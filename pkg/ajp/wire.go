package ajp

// The AJP data types: u16 integers big-endian, and strings as a u16 length, the bytes and a NUL
// that the length does not count. Length 0xFFFF is the null string, with no bytes and no NUL.

const nullLength = 0xFFFF

func appendU16(dst []byte, v int) []byte { return append(dst, byte(v>>8), byte(v)) }

func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func appendString(dst []byte, s string) []byte {
	dst = append(dst, byte(len(s)>>8), byte(len(s)))
	dst = append(dst, s...)
	return append(dst, 0)
}

// appendNullable encodes "" as the null string, as mod_jk does for an unknown remote host.
func appendNullable(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, 0xFF, 0xFF)
	}
	return appendString(dst, s)
}

// decoder reads AJP data types from one payload. Strings are cut from a single string copy of the
// payload, so a whole message costs one allocation for all its strings. The first error sticks:
// later reads return zero values and callers check err once at the end.
type decoder struct {
	s   string
	off int
	err error
}

func newDecoder(payload []byte) decoder { return decoder{s: string(payload)} }

// fail records the first error: a field that runs past the end of the payload.
func (d *decoder) fail(field string) {
	if d.err == nil {
		d.err = protocolErrorf("%s truncated at byte %d of a %d-byte payload", field, d.off, len(d.s))
	}
}

func (d *decoder) u8(field string) byte {
	if d.err != nil || d.off+1 > len(d.s) {
		d.fail(field)
		return 0
	}
	b := d.s[d.off]
	d.off++
	return b
}

func (d *decoder) u16(field string) int {
	if d.err != nil || d.off+2 > len(d.s) {
		d.fail(field)
		return 0
	}
	v := int(d.s[d.off])<<8 | int(d.s[d.off+1])
	d.off += 2
	return v
}

// peekU16 returns the next u16 without consuming it (header names: a code or a string length).
func (d *decoder) peekU16() (int, bool) {
	if d.err != nil || d.off+2 > len(d.s) {
		return 0, false
	}
	return int(d.s[d.off])<<8 | int(d.s[d.off+1]), true
}

// str reads a string; null reads as "". Like Tomcat, it skips the terminator without checking it.
func (d *decoder) str(field string) string {
	n := d.u16(field)
	if d.err != nil || n == nullLength {
		return ""
	}
	if d.off+n+1 > len(d.s) {
		d.fail(field)
		return ""
	}
	s := d.s[d.off : d.off+n]
	d.off += n + 1
	return s
}

// rest reports how many payload bytes are left.
func (d *decoder) rest() int { return len(d.s) - d.off }
