package h1

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
)

// answerHead is what the head of a backend's answer says about it.
type answerHead struct {
	status  int
	length  int64 // Content-Length, -1 when none
	chunked bool
	close   bool // the connection ends with this answer: Connection: close, or HTTP/1.0 without keep-alive
}

func badResponse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadResponse, fmt.Sprintf(format, args...))
}

// readAnswerHead reads one answer head, checks it strictly and adds its fields to h.
// received tells whether any byte of it arrived (a failure before proves nothing was answered).
func (cc *clientConn) readAnswerHead(h http.Header) (ah answerHead, received bool, err error) {
	cc.head = cc.head[:0]
	var endsBuf [32]int
	ends := endsBuf[:0]
	lineStart := 0
	for {
		frag, err := cc.br.ReadSlice('\n')
		if len(cc.head)+len(frag) > MaxResponseHead {
			return ah, true, badResponse("the answer's head is larger than %d bytes", MaxResponseHead)
		}
		cc.head = append(cc.head, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return ah, len(cc.head) > 0, err
		}
		line := cc.head[lineStart:]
		if len(line) < 2 || line[len(line)-2] != '\r' {
			return ah, true, badResponse("a line of the answer's head ends with a bare LF")
		}
		end := len(cc.head) - 2
		if end == lineStart {
			if len(ends) == 0 {
				return ah, true, badResponse("the answer begins with an empty line")
			}
			break
		}
		if len(ends) > DefaultMaxHeaderFields {
			return ah, true, badResponse("the answer has more than %d header fields", DefaultMaxHeaderFields)
		}
		ends = append(ends, end)
		lineStart = len(cc.head)
	}
	// One string holds every name and value: the fields cost one allocation, not one each.
	head := string(cc.head)
	ah, err = parseStatusLine(head[:ends[0]])
	if err != nil {
		return ah, true, err
	}
	ah.length = -1
	values := make([]string, len(ends)-1)
	lengths, encodings := 0, 0
	keepAlive := false
	for i := 1; i < len(ends); i++ {
		name, value, err := splitField(head[ends[i-1]+2 : ends[i]])
		if err != nil {
			return ah, true, fmt.Errorf("%w: %w", ErrBadResponse, err)
		}
		key := canonicalKey(name)
		switch key {
		case "Content-Length":
			n, err := parseLength(value)
			if err != nil || (lengths > 0 && n != ah.length) {
				return ah, true, badResponse("invalid or conflicting Content-Length %q", value)
			}
			lengths++
			ah.length = n
			if lengths > 1 {
				continue // the same length again: one is enough
			}
		case "Transfer-Encoding":
			encodings++
			if encodings > 1 || !strings.EqualFold(value, "chunked") {
				return ah, true, badResponse("transfer coding %q: only chunked alone is understood", value)
			}
			ah.chunked = true
		case "Connection":
			ah.close = ah.close || hasToken(value, "close")
			keepAlive = keepAlive || hasToken(value, "keep-alive")
		}
		values[i-1] = value
		if vs, ok := h[key]; ok {
			h[key] = append(vs, value)
		} else {
			h[key] = values[i-1 : i : i]
		}
	}
	if ah.chunked && lengths > 0 {
		return ah, true, badResponse("the answer has both Content-Length and Transfer-Encoding")
	}
	if head[len("HTTP/1.")] == '0' && !keepAlive {
		ah.close = true
	}
	return ah, true, nil
}

// parseStatusLine reads "HTTP/1.x SP 3DIGIT [SP reason]".
func parseStatusLine(line string) (answerHead, error) {
	var ah answerHead
	if len(line) < len("HTTP/1.x 200") || (line[:len("HTTP/1.")] != "HTTP/1.") || (line[7] != '0' && line[7] != '1') || line[8] != ' ' {
		return ah, badResponse("status line %.40q", line)
	}
	code, rest := line[9:12], line[12:]
	if !isDigit(code[0]) || !isDigit(code[1]) || !isDigit(code[2]) || code[0] == '0' || (rest != "" && rest[0] != ' ') || !validFieldValue(rest) {
		return ah, badResponse("status line %.40q", line)
	}
	ah.status = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	return ah, nil
}

// hasBody reports whether an answer with status to method carries a body (RFC 9112 §6.3).
func hasBody(method string, status int) bool {
	return method != http.MethodHead && status != http.StatusNoContent && status != http.StatusNotModified && status >= 200
}
