package reqpath

// lazybuf builds the normal form of s without allocating for as long as the form is a prefix of s:
// most paths are already normal, and then the result is s itself. (path.Clean does the same.)
// Every byte written stands for at least one byte read, so the form never outgrows s.
type lazybuf struct {
	s   string
	buf []byte // nil while the form is s[:w]
	w   int
}

func (b *lazybuf) index(i int) byte {
	if b.buf != nil {
		return b.buf[i]
	}
	return b.s[i]
}

func (b *lazybuf) append(c byte) {
	if b.buf == nil {
		if b.w < len(b.s) && b.s[b.w] == c {
			b.w++
			return
		}
		b.buf = make([]byte, len(b.s))
		copy(b.buf, b.s[:b.w])
	}
	b.buf[b.w] = c
	b.w++
}

func (b *lazybuf) appendString(t string) {
	if b.buf == nil && b.w+len(t) <= len(b.s) && b.s[b.w:b.w+len(t)] == t {
		b.w += len(t)
		return
	}
	for i := 0; i < len(t); i++ {
		b.append(t[i])
	}
}

// pop removes the last segment for a "..", reporting false if there is none above the root. The
// form ends in '/' and holds no "//". A segment that is only parameters (";x") has an empty name,
// which Tomcat merges away like "//", so pop goes on through it to the named segment before it.
func (b *lazybuf) pop() bool {
	for b.w > 1 {
		j := b.w - 2
		for b.index(j) != '/' {
			j--
		}
		named := b.index(j+1) != ';'
		b.w = j + 1
		if named {
			return true
		}
	}
	return false
}

func (b *lazybuf) string() string {
	if b.buf == nil {
		return b.s[:b.w]
	}
	return string(b.buf[:b.w])
}
