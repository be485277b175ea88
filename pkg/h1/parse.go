package h1

import (
	"context"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// framing is what the head says about the body and the connection.
type framing struct {
	contentLength  int64 // -1: chunked
	expectContinue bool
	close          bool // the client asked to close after this request (or HTTP/1.0 without keep-alive)
	keepAlive10    bool // an HTTP/1.0 client asked for keep-alive
}

// parseHead checks the head c.readHead collected and builds the request from it, with
// context ctx. Every string of the request is a slice of one copy of the head, so a request
// costs one string allocation however many fields it has.
func (c *conn) parseHead(ctx context.Context) (*http.Request, framing, error) {
	var fr framing
	head := string(c.head)
	line := head[:c.lines[0]]
	method, target, proto, err := splitRequestLine(line)
	if err != nil {
		return nil, fr, err
	}
	// WithContext copies the literal, which stays on the stack: one allocation for the request.
	r := (&http.Request{Method: method, Proto: proto, ProtoMajor: 1, RequestURI: target, RemoteAddr: c.remoteAddr, TLS: c.tls}).WithContext(ctx)
	if proto == "HTTP/1.1" {
		r.ProtoMinor = 1
	}
	u, authority, err := parseTarget(method, target)
	if err != nil {
		return nil, fr, err
	}
	r.URL = u

	n := len(c.lines) - 1
	h := make(http.Header, n)
	values := make([]string, n) // one backing array for the usual single value per name
	var hosts, lengths, encodings int
	var te string
	start := c.lines[0] + 2
	for i, end := range c.lines[1:] {
		field := head[start:end]
		start = end + 2
		name, value, err := splitField(field)
		if err != nil {
			return nil, fr, err
		}
		key := canonicalKey(name)
		if vs, ok := h[key]; ok {
			h[key] = append(vs, value)
		} else {
			values[i] = value
			h[key] = values[i : i+1 : i+1]
		}
		switch key {
		case "Host":
			hosts++
			r.Host = value
		case "Content-Length":
			lengths++
			if fr.contentLength, err = parseLength(value); err != nil {
				return nil, fr, err
			}
		case "Transfer-Encoding":
			encodings++
			te = value
		case "Connection":
			fr.close = fr.close || hasToken(value, "close")
			fr.keepAlive10 = fr.keepAlive10 || hasToken(value, "keep-alive")
		case "Expect":
			if !strings.EqualFold(value, "100-continue") {
				return nil, fr, refuse(http.StatusExpectationFailed, "the only expectation the server meets is 100-continue")
			}
			fr.expectContinue = r.ProtoMinor == 1
		}
	}
	r.Header = h

	switch {
	case hosts > 1:
		return nil, fr, refuse(http.StatusBadRequest, "the request has more than one Host header")
	case hosts == 0 && r.ProtoMinor == 1 && authority == "":
		return nil, fr, refuse(http.StatusBadRequest, "an HTTP/1.1 request needs a Host header")
	case hosts == 1 && r.Host == "" && r.ProtoMinor == 1 && authority == "":
		// RFC 9112 allows an empty Host only for a target without an authority; a server
		// serving paths always has one. Apache refuses it too.
		return nil, fr, refuse(http.StatusBadRequest, "the Host header is empty")
	case hosts == 1 && !validHost(r.Host):
		return nil, fr, refuse(http.StatusBadRequest, "the Host header is not a valid host[:port]")
	}
	if authority != "" {
		if !validHost(authority) {
			return nil, fr, refuse(http.StatusBadRequest, "the request target's authority is not a valid host[:port]")
		}
		r.Host = authority // RFC 9112 §3.2.2: the target's authority wins over Host
	}

	switch {
	case encodings > 0 && lengths > 0:
		return nil, fr, refuse(http.StatusBadRequest, "the request has both Content-Length and Transfer-Encoding, a request smuggling pattern")
	case lengths > 1:
		return nil, fr, refuse(http.StatusBadRequest, "the request has more than one Content-Length header")
	case encodings > 1:
		return nil, fr, refuse(http.StatusBadRequest, "the request has more than one Transfer-Encoding header")
	case encodings == 1 && r.ProtoMinor == 0:
		return nil, fr, refuse(http.StatusBadRequest, "Transfer-Encoding in an HTTP/1.0 request")
	case encodings == 1 && !strings.EqualFold(te, "chunked"):
		if hasToken(te, "chunked") {
			return nil, fr, refuse(http.StatusBadRequest, "the only transfer coding the server accepts is chunked alone")
		}
		return nil, fr, refuse(http.StatusNotImplemented, "the only transfer coding the server accepts is chunked")
	case encodings == 1:
		fr.contentLength = -1
		r.TransferEncoding = []string{"chunked"}
		delete(h, "Transfer-Encoding")
	}
	r.ContentLength = fr.contentLength
	if r.ProtoMinor == 0 {
		fr.close = !fr.keepAlive10
	}
	r.Close = fr.close
	return r, fr, nil
}

// splitRequestLine splits "method SP request-target SP HTTP-version" strictly: single spaces,
// a token method, a target of visible ASCII, and HTTP/1.0 or HTTP/1.1.
func splitRequestLine(line string) (method, target, proto string, err error) {
	sp1 := strings.IndexByte(line, ' ')
	if sp1 < 0 {
		return "", "", "", refuse(http.StatusBadRequest, "the request line has no HTTP version (HTTP/0.9 is not served)")
	}
	method, rest := line[:sp1], line[sp1+1:]
	sp2 := strings.IndexByte(rest, ' ')
	if sp2 < 0 {
		return "", "", "", refuse(http.StatusBadRequest, "the request line has no HTTP version (HTTP/0.9 is not served)")
	}
	target, proto = rest[:sp2], rest[sp2+1:]
	if !isToken(method) {
		return "", "", "", refuse(http.StatusBadRequest, "the request method is not a token")
	}
	if target == "" || !visibleASCII(target) {
		return "", "", "", refuse(http.StatusBadRequest, "the request target is empty or has spaces, control or non-ASCII bytes")
	}
	switch proto {
	case "HTTP/1.1", "HTTP/1.0":
		return method, target, proto, nil
	}
	if len(proto) == 8 && proto[:5] == "HTTP/" && isDigit(proto[5]) && proto[6] == '.' && isDigit(proto[7]) {
		return "", "", "", refuse(http.StatusHTTPVersionNotSupported, "the server speaks HTTP/1.0 and HTTP/1.1 only")
	}
	return "", "", "", refuse(http.StatusBadRequest, "the request line is malformed")
}

// parseTarget reads the request target: origin-form "/path?query", absolute-form
// "http://authority/path?query" (its authority returned) or "*" for OPTIONS. CONNECT's
// authority-form is not served by a reverse proxy.
func parseTarget(method, target string) (*url.URL, string, error) {
	if method == http.MethodConnect {
		return nil, "", refuse(http.StatusMethodNotAllowed, "CONNECT is not served here")
	}
	if target == "*" {
		if method != http.MethodOptions {
			return nil, "", refuse(http.StatusBadRequest, "the target * is for OPTIONS only")
		}
		return &url.URL{Path: "*"}, "", nil
	}
	if strings.IndexByte(target, '#') >= 0 {
		return nil, "", refuse(http.StatusBadRequest, "the request target has a fragment")
	}
	var u *url.URL
	authority := ""
	if target[0] != '/' {
		scheme, rest, ok := strings.Cut(target, "://")
		if !ok || !(strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https")) {
			return nil, "", refuse(http.StatusBadRequest, "the request target is neither a path nor an http(s) URL")
		}
		end := strings.IndexAny(rest, "/?")
		if end < 0 {
			end = len(rest)
		}
		authority, target = rest[:end], rest[end:]
		if authority == "" || strings.IndexByte(authority, '@') >= 0 {
			return nil, "", refuse(http.StatusBadRequest, "the request target's authority is empty or has user information")
		}
		if target == "" || target[0] == '?' {
			target = "/" + target
		}
		u = &url.URL{Scheme: strings.ToLower(scheme), Host: authority}
	} else {
		u = &url.URL{}
	}
	path, query, hasQuery := strings.Cut(target, "?")
	p, err := url.PathUnescape(path)
	if err != nil {
		return nil, "", refuse(http.StatusBadRequest, "the request path has a malformed %-escape")
	}
	u.Path = p
	if strings.IndexByte(path, '%') >= 0 {
		u.RawPath = path
	}
	u.RawQuery = query
	u.ForceQuery = hasQuery && query == ""
	return u, authority, nil
}

// splitField splits "name: value" strictly: a token name right before the colon, no folded
// line, optional whitespace around the value, no control bytes in it.
func splitField(field string) (name, value string, err error) {
	if field[0] == ' ' || field[0] == '\t' {
		return "", "", refuse(http.StatusBadRequest, "a header line is folded (obs-fold)")
	}
	colon := strings.IndexByte(field, ':')
	if colon <= 0 {
		return "", "", refuse(http.StatusBadRequest, "a header line has no name or no colon")
	}
	name = field[:colon]
	if !isToken(name) {
		return "", "", refuse(http.StatusBadRequest, "a header name is not a token (or has whitespace before its colon)")
	}
	value = strings.Trim(field[colon+1:], " \t")
	if !validFieldValue(value) {
		return "", "", refuse(http.StatusBadRequest, "a header value has control bytes")
	}
	return name, value, nil
}

// parseLength reads a Content-Length: 1 to 18 decimal digits, nothing else.
func parseLength(v string) (int64, error) {
	if v == "" || len(v) > 18 {
		return 0, refuse(http.StatusBadRequest, "the Content-Length is not a decimal number")
	}
	var n int64
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) {
			return 0, refuse(http.StatusBadRequest, "the Content-Length is not a decimal number")
		}
		n = n*10 + int64(v[i]-'0')
	}
	return n, nil
}

// hasToken reports whether a comma-separated header value lists token, ignoring case.
func hasToken(v, token string) bool {
	for v != "" {
		var t string
		t, v, _ = strings.Cut(v, ",")
		if strings.EqualFold(strings.Trim(t, " \t"), token) {
			return true
		}
	}
	return false
}

// canonicalKey returns the canonical form of a header name, without allocating for the
// names nearly every request has.
func canonicalKey(name string) string {
	if k, ok := commonKeys[name]; ok {
		return k
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Authorization",
		"Cache-Control", "Connection", "Content-Length", "Content-Type", "Cookie", "Expect",
		"Host", "If-Modified-Since", "If-None-Match", "Origin", "Pragma", "Referer",
		"Transfer-Encoding", "Upgrade", "User-Agent", "X-Forwarded-For", "X-Requested-With",
		"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Protocol", "Sec-Websocket-Extensions",
		"Upgrade-Insecure-Requests", "Dnt", "Te", "Range", "If-Range", "Keep-Alive",
	} {
		m[k] = k
		m[strings.ToLower(k)] = k
	}
	return m
}()
