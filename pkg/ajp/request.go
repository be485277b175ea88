package ajp

import (
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// requestBodyLen returns the number of body bytes the request announces: 0 for none, -1 when
// unknown (chunked). As for any client request, a Body with ContentLength 0 is of unknown length.
func requestBodyLen(req *http.Request) int64 {
	if req.Body == nil || req.Body == http.NoBody {
		return 0
	}
	if req.ContentLength > 0 {
		return req.ContentLength
	}
	return -1
}

var forwardPool = sync.Pool{New: func() any { return &ForwardRequest{} }}

// release clears f (it holds strings of a request that must not be kept alive) and pools it.
func (f *ForwardRequest) release() {
	clear(f.Headers)
	clear(f.ReqAttributes)
	*f = ForwardRequest{Headers: f.Headers[:0], ReqAttributes: f.ReqAttributes[:0]}
	forwardPool.Put(f)
}

// fill describes req as mod_jk would: the client's headers minus hop-by-hop ones, then
// content-length ("0" without a body) or, for a body of unknown length, Transfer-Encoding: chunked;
// the secret; and only allow-listed request attributes, never a name taken from the client.
func (f *ForwardRequest) fill(req *http.Request, info *RequestInfo, secret string, bodyLen int64) {
	f.Method = req.Method
	if f.Method == "" {
		f.Method = http.MethodGet
	}
	f.Protocol = "HTTP/1.1"
	if strings.HasPrefix(req.Proto, "HTTP/") {
		f.Protocol = req.Proto
	}
	f.URI = req.URL.EscapedPath()
	if f.URI == "" {
		f.URI = "/"
	}
	f.QueryString = req.URL.RawQuery
	f.EmptyQuery = req.URL.ForceQuery && req.URL.RawQuery == ""
	f.Secret = secret
	f.SSLKeySize = -1

	// A request a server received and a proxy passes on still says who the client was, and which
	// local address it reached: each is the fallback for what the RequestInfo leaves out.
	remotePort, portText, localAddr := 0, "", ""
	if req.RemoteAddr != "" {
		f.RemoteAddr, remotePort, portText = splitHostPortText(req.RemoteAddr)
	}
	if info != nil {
		if info.RemoteAddr != "" {
			f.RemoteAddr = info.RemoteAddr
		}
		if info.RemotePort > 0 && info.RemotePort != remotePort {
			remotePort, portText = info.RemotePort, ""
		}
		localAddr = info.LocalAddr
	}
	if localAddr == "" {
		if a, ok := req.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			localAddr, _ = splitHostPort(a.String(), 0)
		}
	}
	f.IsSSL = req.TLS != nil || (info != nil && info.IsSSL)

	host := req.Host
	// A client that sent no Host (HTTP/1.0) gets none: Tomcat then takes the server name the
	// gateway gives, as it does behind Apache. Without a gateway's word, the URL's host is used.
	sendHost := host != "" || info == nil || info.ServerName == ""
	if host == "" {
		host = req.URL.Host
		if info != nil && info.ServerName != "" {
			host = joinHostPort(info.ServerName, info.ServerPort, f.IsSSL)
		}
	}
	defaultPort := 80
	if f.IsSSL {
		defaultPort = 443
	}
	if info != nil && info.ServerName != "" {
		f.ServerName, f.ServerPort = info.ServerName, info.ServerPort
	} else {
		f.ServerName, f.ServerPort = splitHostPort(host, defaultPort)
	}
	if info != nil && info.ServerPort > 0 {
		f.ServerPort = info.ServerPort
	}
	if f.ServerPort <= 0 || f.ServerPort > 0xFFFF {
		f.ServerPort = defaultPort
	}

	if sendHost {
		f.Headers = append(f.Headers, Header{"host", host})
	}
	connTokens := req.Header["Connection"]
	for name, values := range req.Header {
		if isHopByHop(name) || listsToken(connTokens, name) ||
			strings.EqualFold(name, "Host") || strings.EqualFold(name, "Content-Length") {
			continue
		}
		for _, v := range values {
			f.Headers = append(f.Headers, Header{name, v})
		}
	}
	if bodyLen >= 0 {
		f.Headers = append(f.Headers, Header{"content-length", formatLength(bodyLen)})
	} else {
		f.Headers = append(f.Headers, Header{"Transfer-Encoding", "chunked"})
	}

	if info != nil {
		f.Route = info.Route
	}
	if remotePort > 0 {
		if portText == "" {
			portText = strconv.Itoa(remotePort)
		}
		f.ReqAttributes = append(f.ReqAttributes, Header{AttrRemotePort, portText})
	}
	if localAddr != "" {
		f.ReqAttributes = append(f.ReqAttributes, Header{AttrLocalAddr, localAddr})
	}
	if req.TLS != nil {
		f.ReqAttributes = append(f.ReqAttributes, Header{AttrSSLProtocol, sslProtocolName(req.TLS.Version)})
		f.SSLCipher = tls.CipherSuiteName(req.TLS.CipherSuite)
		f.SSLKeySize = cipherKeyBits(f.SSLCipher)
		if info != nil {
			f.SSLSession, f.SSLCert = info.SSLSession, info.SSLCert
		}
	}
	if info != nil && validActivation(info.Activation) {
		f.ReqAttributes = append(f.ReqAttributes, Header{AttrActivation, info.Activation})
	}
}

// sslProtocolName spells a TLS version as mod_ssl's SSL_PROTOCOL and Tomcat's own connectors
// do ("TLSv1.3"), not as crypto/tls ("TLS 1.3").
func sslProtocolName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1"
	}
	return tls.VersionName(v)
}

// cipherKeyBits is the size of a cipher suite's symmetric key, what mod_ssl sends as
// SSL_CIPHER_USEKEYSIZE (Tomcat's jakarta.servlet.request.key_size); -1 when unknown.
func cipherKeyBits(suite string) int {
	switch {
	case strings.Contains(suite, "AES_128"):
		return 128
	case strings.Contains(suite, "AES_256"), strings.Contains(suite, "CHACHA20"):
		return 256
	case strings.Contains(suite, "3DES"):
		return 168
	}
	return -1
}

// isHopByHop reports whether a request header belongs to the client connection only.
func isHopByHop(name string) bool {
	switch len(name) {
	case 2:
		return strings.EqualFold(name, "TE")
	case 7:
		return strings.EqualFold(name, "Upgrade") || strings.EqualFold(name, "Trailer")
	case 10:
		return strings.EqualFold(name, "Connection") || strings.EqualFold(name, "Keep-Alive")
	case 17:
		return strings.EqualFold(name, "Transfer-Encoding")
	}
	return len(name) > 6 && strings.EqualFold(name[:6], "Proxy-")
}

// listsToken reports whether the Connection header values name header as hop-by-hop too.
func listsToken(connection []string, header string) bool {
	for _, v := range connection {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(tok), header) {
				return true
			}
		}
	}
	return false
}

// splitHostPort splits "host:port" (or a bare host, or "[v6]:port"), using defaultPort when
// the port is missing or not a number.
func splitHostPort(hostport string, defaultPort int) (string, int) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"), defaultPort
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return host, defaultPort
	}
	return host, p
}

// splitHostPortText is splitHostPort without a default port, that also returns the port's text
// when it is what strconv.Itoa would make of the number (no sign, no leading zero), so that
// sending it on costs no allocation.
func splitHostPortText(hostport string) (host string, port int, text string) {
	host, port = splitHostPort(hostport, 0)
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && port > 0 {
		if t := hostport[i+1:]; t[0] != '0' && t[0] != '+' && t[0] != '-' {
			text = t
		}
	}
	return host, port, text
}

// joinHostPort builds a Host header value, leaving out the scheme's default port.
func joinHostPort(host string, port int, ssl bool) string {
	if port <= 0 || (port == 80 && !ssl) || (port == 443 && ssl) {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// formatLength avoids an allocation for the common "0".
func formatLength(n int64) string {
	if n == 0 {
		return "0"
	}
	return strconv.FormatInt(n, 10)
}
