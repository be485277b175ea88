package frontdoor

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// response is one HTTP response as it came off the wire: status, header fields in their order and
// spelling, and the body with its framing removed. The reason phrase is not kept: clients ignore it.
type response struct {
	Proto   string // "HTTP/1.1"; "HTTP/0.9" for bytes without a status line
	Status  int
	Header  []field
	Body    []byte // a chunked body's trailer section is read and dropped
	Interim []int  // 1xx statuses that came before this response (100 Continue …)
	BareLF  bool   // some line of the head ended in LF alone
	Framing string // "length", "chunked", "close" or "none"
	Err     error  // the response was cut short or malformed; what was read is above
	Upgrade bool   // 101: the connection left HTTP after this response
}

// field is one header field as received.
type field struct{ Name, Value string }

// get returns the first value of the field name (case-insensitive) and whether there was one.
func (r *response) get(name string) (string, bool) {
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// values returns every value of the field name, in order.
func (r *response) values(name string) []string {
	var vs []string
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// Limits of the parser: a front door that sends more is broken, and the test must not hang on it.
const (
	maxHeadBytes = 64 << 10
	maxBodyBytes = 64 << 20
)

// errNoResponse means the connection ended (or went quiet) before a status line began.
var errNoResponse = errors.New("no response")

// readResponse reads one response (after any 1xx interim ones) for a request of method. Every read
// obeys the deadline the caller set on the connection; a timeout mid-response is an error, one before
// the first byte is errNoResponse wrapping it.
func readResponse(br *bufio.Reader, method string) (*response, error) {
	r := &response{}
	for {
		head, err := readHead(br, r)
		if err != nil {
			return r, err
		}
		if head == "HTTP/0.9" {
			r.Proto, r.Framing = head, "close"
			r.Body, r.Err = readAllLimited(br)
			return r, nil
		}
		if r.Status >= 100 && r.Status < 200 && r.Status != 101 {
			r.Interim = append(r.Interim, r.Status)
			r.Header, r.Status = nil, 0
			continue
		}
		break
	}
	switch {
	case r.Status == 101:
		r.Upgrade, r.Framing = true, "none"
	case method == "HEAD" || r.Status == 204 || r.Status == 304:
		r.Framing = "none"
	default:
		r.Err = readBody(br, r)
	}
	return r, nil
}

// readHead reads a status line and header fields into r. It returns "HTTP/0.9" when the bytes do not
// start with "HTTP/": a simple response, which only an HTTP/0.9 request may get.
func readHead(br *bufio.Reader, r *response) (string, error) {
	peek, err := br.Peek(5)
	if len(peek) == 0 {
		return "", fmt.Errorf("%w: %w", errNoResponse, err)
	}
	// Five bytes that are not "HTTP/", or fewer that cannot become it: a body without a head.
	if !bytes.HasPrefix(peek, []byte("HTTP/")) && (err == nil || !bytes.HasPrefix([]byte("HTTP/"), peek)) {
		return "HTTP/0.9", nil
	}
	line, err := readLine(br, r)
	if err != nil {
		return "", fmt.Errorf("reading the status line: %w", err)
	}
	proto, rest, _ := strings.Cut(line, " ")
	code, _, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(code)
	if !strings.HasPrefix(proto, "HTTP/") || len(code) != 3 || err != nil {
		return "", fmt.Errorf("malformed status line %q", line)
	}
	r.Proto, r.Status = proto, status
	for size := len(line); ; {
		line, err := readLine(br, r)
		if err != nil {
			return "", fmt.Errorf("reading the header: %w", err)
		}
		if line == "" {
			return proto, nil
		}
		if size += len(line); size > maxHeadBytes {
			return "", fmt.Errorf("response head over %d bytes", maxHeadBytes)
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return "", fmt.Errorf("malformed header line %q", line)
		}
		r.Header = append(r.Header, field{name, strings.Trim(value, " \t")})
	}
}

// readBody reads the body as RFC 9112 section 6.3 frames it.
func readBody(br *bufio.Reader, r *response) error {
	if te, ok := r.get("Transfer-Encoding"); ok {
		codings := strings.Split(te, ",")
		if strings.EqualFold(strings.TrimSpace(codings[len(codings)-1]), "chunked") {
			r.Framing = "chunked"
			return readChunked(br, r)
		}
		r.Framing = "close"
		var err error
		r.Body, err = readAllLimited(br)
		return err
	}
	if cls := r.values("Content-Length"); len(cls) > 0 {
		for _, cl := range cls[1:] {
			if cl != cls[0] {
				return fmt.Errorf("conflicting Content-Length %q", cls)
			}
		}
		n, err := strconv.ParseInt(cls[0], 10, 64)
		if err != nil || n < 0 || n > maxBodyBytes {
			return fmt.Errorf("bad Content-Length %q", cls[0])
		}
		r.Framing = "length"
		r.Body = make([]byte, n)
		got, err := io.ReadFull(br, r.Body)
		r.Body = r.Body[:got]
		if err != nil {
			return fmt.Errorf("body cut after %d of %d bytes: %w", got, n, err)
		}
		return nil
	}
	r.Framing = "close"
	var err error
	r.Body, err = readAllLimited(br)
	return err
}

// readChunked reads chunks, then the trailer section.
func readChunked(br *bufio.Reader, r *response) error {
	var body bytes.Buffer
	defer func() { r.Body = body.Bytes() }()
	for {
		line, err := readLine(br, r)
		if err != nil {
			return fmt.Errorf("reading a chunk size: %w", err)
		}
		sizeText, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 64)
		if err != nil || size < 0 || int64(body.Len())+size > maxBodyBytes {
			return fmt.Errorf("bad chunk size line %q", line)
		}
		if size == 0 {
			break
		}
		if _, err := io.CopyN(&body, br, size); err != nil {
			return fmt.Errorf("chunk cut short: %w", err)
		}
		if crlf, err := readLine(br, r); err != nil || crlf != "" {
			return fmt.Errorf("no CRLF after a chunk (%q): %v", crlf, err)
		}
	}
	for {
		line, err := readLine(br, r)
		if err != nil {
			return fmt.Errorf("reading the trailer: %w", err)
		}
		if line == "" {
			return nil
		}
	}
}

// readLine reads one line of the head, without its CRLF; a line ending in LF alone sets r.BareLF.
func readLine(br *bufio.Reader, r *response) (string, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > maxHeadBytes {
			return "", fmt.Errorf("line over %d bytes", maxHeadBytes)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	} else {
		r.BareLF = true
	}
	return string(line), nil
}

// readAllLimited reads to the end of the connection, at most maxBodyBytes.
func readAllLimited(br *bufio.Reader) ([]byte, error) {
	return io.ReadAll(io.LimitReader(br, maxBodyBytes))
}
