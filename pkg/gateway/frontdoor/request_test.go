package frontdoor

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// testHost is the Host of the tests' requests: a name neither front door knows, as on the internet.
const testHost = "frontdoor.test"

// testAgent is the User-Agent of the tests' requests, as real clients send one: a case about the
// absence of a header must not fail because of another one missing.
const testAgent = "User-Agent: frontdoor-test"

// raw is one write of exactly s.
func raw(s string) []step { return []step{{data: []byte(s)}} }

// get is "GET target HTTP/1.1" with Host frontdoor.test and the given header lines.
func get(target string, headers ...string) []step { return req("GET", target, headers...) }

// req is "METHOD target HTTP/1.1" with Host frontdoor.test and the given header lines.
func req(method, target string, headers ...string) []step {
	return raw(head(method, target, headers...))
}

// head is the request head of req, blank line included.
func head(method, target string, headers ...string) string {
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: " + testHost + "\r\n" + testAgent + "\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// lines is a request line and header lines, without the default Host, with User-Agent, and a blank line.
func lines(requestLine string, headers ...string) []step {
	return raw(requestLine + "\r\n" + strings.Join(append(headers, testAgent), "\r\n") + "\r\n\r\n")
}

// post is a POST of body with its Content-Length, in one write.
func post(target, body string, headers ...string) []step {
	headers = append([]string{"Content-Length: " + strconv.Itoa(len(body))}, headers...)
	return raw(head("POST", target, headers...) + body)
}

// chunked is a POST whose body goes as the given chunks, in one write.
func chunked(target string, chunks []string, headers ...string) []step {
	headers = append([]string{"Transfer-Encoding: chunked"}, headers...)
	var b strings.Builder
	b.WriteString(head("POST", target, headers...))
	for _, c := range chunks {
		b.WriteString(strconv.FormatInt(int64(len(c)), 16) + "\r\n" + c + "\r\n")
	}
	b.WriteString("0\r\n\r\n")
	return raw(b.String())
}

// then appends a write of data after pause to steps.
func then(steps []step, pause time.Duration, data string) []step {
	return append(steps, step{pause: pause, data: []byte(data)})
}

// concat joins the writes of several requests into one, for pipelining.
func concat(parts ...[]step) []step {
	var all []byte
	for _, p := range parts {
		for _, s := range p {
			all = append(all, s.data...)
		}
	}
	return []step{{data: all}}
}

// methodsOf reads the methods of the requests in the bytes the test sends, in order, so that the reader
// knows how many responses to wait for and which (HEAD's) have no body. It understands the tests' own
// requests: heads ended by a blank line, bodies framed by chunked (the last coding) or else by
// Content-Length.
func methodsOf(steps []step) []string {
	var all []byte
	for _, s := range steps {
		all = append(all, s.data...)
	}
	var methods []string
	for {
		all = bytes.TrimLeft(all, "\r\n") // a server ignores empty lines before a request line
		if len(all) == 0 {
			break
		}
		end, sep := bytes.Index(all, []byte("\r\n\r\n")), 4
		if lf := bytes.Index(all, []byte("\n\n")); lf >= 0 && (end < 0 || lf < end) {
			end, sep = lf, 2
		}
		line, _, _ := bytes.Cut(all, []byte("\n"))
		method, _, _ := bytes.Cut(line, []byte(" "))
		methods = append(methods, string(method))
		if end < 0 {
			break
		}
		isChunked, length := framing(string(all[:end]))
		all = all[end+sep:]
		switch {
		case isChunked:
			if i := bytes.Index(all, []byte("0\r\n\r\n")); i >= 0 && (i == 0 || all[i-1] == '\n') {
				all = all[i+5:]
			} else {
				all = nil
			}
		case length > 0 && length <= len(all):
			all = all[length:]
		}
	}
	return methods
}

// framing reads how a request head frames its body.
func framing(head string) (isChunked bool, length int) {
	for _, l := range strings.Split(head, "\n")[1:] {
		name, value, ok := strings.Cut(strings.TrimSuffix(l, "\r"), ":")
		if !ok {
			continue
		}
		value = strings.ToLower(strings.Trim(value, " \t"))
		switch strings.ToLower(name) {
		case "transfer-encoding":
			codings := strings.Split(value, ",")
			isChunked = strings.TrimSpace(codings[len(codings)-1]) == "chunked"
		case "content-length":
			length, _ = strconv.Atoi(value)
		}
	}
	return isChunked, length
}
