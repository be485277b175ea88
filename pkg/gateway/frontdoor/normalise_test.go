package frontdoor

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The differential compares the two front doors' answers after these normalisations, and only these.
// Each removes a difference that is necessary (two servers, two ports, two balancers) or that HTTP
// says carries no meaning; docs/gateway.md lists them too.
//
//  1. Date and Server response headers are dropped: the clock and the product name.
//  2. The reason phrase is dropped: clients must ignore it (RFC 9112 section 4); mod_jk repeats the
//     status code there, roll writes the standard phrase.
//  3. Framing is compared as the decoded body: Content-Length and Transfer-Encoding headers are
//     dropped, since either front door may chunk a body the other sends with a length (both are
//     correct HTTP/1.1), and so are Connection and Keep-Alive; whether the connection stayed open is
//     compared instead, as the last line.
//  4. Header field names are compared in lower case, and distinct fields sorted by name (RFC 9110
//     section 5.3: their order carries no meaning; roll passes them through Go's http.Header, a map); repeated fields
//     such as Set-Cookie keep their order. The same holds for the request headers info.jsp lists,
//     where a field repeated in the request is compared as one line of its values joined by ", ":
//     RFC 9110 section 5.3 lets a recipient combine them so, and Apache does. Cookie is the exception
//     (the rule does not cover it, and Tomcat does not split a joined one): it stays as sent.
//  5. Session ids (32 hex digits) become <sid>, and the date in a cookie's Expires attribute <date>:
//     every answer makes new ones.
//  6. The jvmRoute tomcat1/tomcat2 becomes tomcatN unless the request pins a route with a session
//     (a "JSESSIONID=….tomcat1" cookie or a ";jsessionid=….tomcat1" path parameter): each front door
//     balances by its own counters.
//  7. Ports of the connections become <port>: the client's (remote_port), the front door's own
//     listening port wherever it appears (Host, server_port, Location), because the two listen on
//     different ports.
//  8. An error page a front door writes itself (not one from Tomcat) is compared by status only:
//     Apache's HTML and roll's plain text say the same thing in other words. An error (4xx, 5xx) is
//     the front door's own unless it is a page of the test webapp or Tomcat's error page
//     (fromTomcat).
//  9. Java object identities in what info.jsp prints ("…MappingImpl@1b2c3d") become @<object>.

var (
	sessionID  = regexp.MustCompile(`[0-9A-F]{32}`)
	expires    = regexp.MustCompile(`(?i)expires=[^;]*`)
	routes     = regexp.MustCompile(`tomcat[12]`)
	pinned     = regexp.MustCompile(`JSESSIONID="?[^;,\s"]+\.tomcat[12]|(?i:;jsessionid=[^;/?\s]+\.tomcat[12])`)
	remotePort = regexp.MustCompile(`(?m)^remote_port=\d+$`)
	objectID   = regexp.MustCompile(`(\$?[A-Za-z]+Impl)@[0-9a-f]+`)
)

// droppedHeaders are response headers normalisation 1 and 3 remove.
var droppedHeaders = []string{"date", "server", "content-length", "transfer-encoding", "connection", "keep-alive"}

// ownErrorPage reports whether r is an error page the front door wrote itself (normalisation 8).
func ownErrorPage(r *response) bool { return r.Status >= 400 && !fromTomcat(r) }

// normalise renders what one connection brought back as text, normalised as above. sent is the request
// bytes as sent, port the front door's listening port.
func normalise(ex exchange, sent []byte, port int) string {
	var b strings.Builder
	for _, r := range ex.Responses {
		b.WriteString(normaliseResponse(r))
		b.WriteString("\n")
	}
	switch {
	case ex.Err != nil:
		b.WriteString("[broken response]")
	case ex.Closed:
		b.WriteString("[connection closed]")
	default:
		b.WriteString("[connection open]")
	}
	out := b.String()
	p := strconv.Itoa(port)
	out = strings.ReplaceAll(out, ":"+p, ":<port>")
	out = strings.ReplaceAll(out, "="+p+"\n", "=<port>\n")
	out = sessionID.ReplaceAllString(out, "<sid>")
	if !pinned.Match(sent) {
		out = routes.ReplaceAllString(out, "tomcatN")
	}
	return out
}

func normaliseResponse(r *response) string {
	var b strings.Builder
	if r.Proto == "HTTP/0.9" {
		fmt.Fprintf(&b, "(no status line: HTTP/0.9 response)\n%s", r.Body)
		return b.String()
	}
	fmt.Fprintf(&b, "%s %d\n", r.Proto, r.Status)
	if r.BareLF {
		b.WriteString("(a line of the head ended in a bare LF)\n")
	}
	for _, s := range r.Interim {
		fmt.Fprintf(&b, "interim: %d\n", s)
	}
	if ownErrorPage(r) {
		b.WriteString("(the front door's own error page)\n")
		return b.String()
	}
	var hs []string
	for _, f := range r.Header {
		name := strings.ToLower(f.Name)
		if slices.Contains(droppedHeaders, name) {
			continue
		}
		hs = append(hs, name+": "+expires.ReplaceAllString(f.Value, "Expires=<date>"))
	}
	slices.SortStableFunc(hs, func(a, b string) int { return strings.Compare(fieldName(a, ':'), fieldName(b, ':')) })
	for _, h := range hs {
		b.WriteString(h + "\n")
	}
	b.WriteString("\n")
	b.WriteString(normaliseBody(string(r.Body)))
	return b.String()
}

// normaliseBody applies normalisations 4, 7 and 9 to a body of info.jsp's "key=value" lines; other
// bodies pass through unchanged.
func normaliseBody(body string) string {
	body = remotePort.ReplaceAllString(body, "remote_port=<port>")
	body = objectID.ReplaceAllString(body, "$1@<object>")
	if !strings.Contains(body, "\nheader.") {
		return body
	}
	lines := strings.SplitAfter(body, "\n")
	var headers []string
	first := -1
	kept := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(l, "header.") && !strings.HasPrefix(l, "header_utf8.") {
			kept = append(kept, l)
			continue
		}
		if first < 0 {
			first = len(kept)
		}
		kind, rest, _ := strings.Cut(l, ".")
		name, value, _ := strings.Cut(rest, "=")
		name = strings.ToLower(name)
		headers = appendJoined(headers, kind+"."+name+"=", value)
	}
	// header.X and header_utf8.X of one value stay together, in the order Tomcat listed them.
	slices.SortStableFunc(headers, func(a, b string) int {
		an, bn := fieldName(a[strings.IndexByte(a, '.')+1:], '='), fieldName(b[strings.IndexByte(b, '.')+1:], '=')
		return strings.Compare(an, bn)
	})
	if first < 0 {
		return strings.Join(kept, "")
	}
	out := slices.Concat(kept[:first:first], headers, kept[first:])
	return strings.Join(out, "")
}

// appendJoined appends the header line key+value, or joins value to the line of key already there
// (normalisation 4), except for Cookie.
func appendJoined(lines []string, key, value string) []string {
	if !strings.HasSuffix(key, ".cookie=") {
		for i, l := range lines {
			if strings.HasPrefix(l, key) {
				lines[i] = strings.TrimSuffix(l, "\n") + ", " + value
				return lines
			}
		}
	}
	return append(lines, key+value)
}

// fieldName is the part of s before sep.
func fieldName(s string, sep byte) string {
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i]
	}
	return s
}
