package ajp

import "strings"

// StoredMethod is the method code of every method outside the table: the method name then travels
// in the stored_method attribute (0x0D). Tomcat honours it (PATCH, PURGE, ...).
const StoredMethod byte = 0xFF

// methodNames maps method codes 1..27 to names, as mod_jk and Tomcat number them.
var methodNames = [...]string{
	1: "OPTIONS", 2: "GET", 3: "HEAD", 4: "POST", 5: "PUT", 6: "DELETE", 7: "TRACE",
	8: "PROPFIND", 9: "PROPPATCH", 10: "MKCOL", 11: "COPY", 12: "MOVE", 13: "LOCK", 14: "UNLOCK",
	15: "ACL", 16: "REPORT", 17: "VERSION-CONTROL", 18: "CHECKIN", 19: "CHECKOUT", 20: "UNCHECKOUT",
	21: "SEARCH", 22: "MKWORKSPACE", 23: "UPDATE", 24: "LABEL", 25: "MERGE", 26: "BASELINE-CONTROL",
	27: "MKACTIVITY",
}

// MethodCode returns the code of an HTTP method (case-sensitive, as HTTP methods are), or false
// when the method must be sent as StoredMethod.
func MethodCode(method string) (byte, bool) {
	switch method { // the common ones first, without a loop
	case "GET":
		return 2, true
	case "POST":
		return 4, true
	case "HEAD":
		return 3, true
	}
	for code, name := range methodNames {
		if name == method && code != 0 {
			return byte(code), true
		}
	}
	return 0, false
}

// MethodName returns the method of a code in 1..27, or false for any other code.
func MethodName(code byte) (string, bool) {
	if int(code) < len(methodNames) && code != 0 {
		return methodNames[code], true
	}
	return "", false
}

// Request header codes 0xA001..0xA00E, by the lower-case names Tomcat gives them back.
var requestHeaderNames = [...]string{
	"accept", "accept-charset", "accept-encoding", "accept-language", "authorization",
	"connection", "content-type", "content-length", "cookie", "cookie2", "host", "pragma",
	"referer", "user-agent",
}

// requestHeaderKeys holds the same names in net/http's canonical form, for the backend side.
var requestHeaderKeys = [...]string{
	"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Authorization",
	"Connection", "Content-Type", "Content-Length", "Cookie", "Cookie2", "Host", "Pragma",
	"Referer", "User-Agent",
}

// Response header codes 0xA001..0xA00B.
var responseHeaderNames = [...]string{
	"Content-Type", "Content-Language", "Content-Length", "Date", "Last-Modified", "Location",
	"Set-Cookie", "Set-Cookie2", "Servlet-Engine", "Status", "WWW-Authenticate",
}

// headerCodeBase is the first header code; the high byte 0xA0 marks a coded header name.
const headerCodeBase = 0xA001

// RequestHeaderCode returns the code of a request header name, matched case-insensitively as
// mod_jk does, or false when the name travels as a string.
func RequestHeaderCode(name string) (uint16, bool) { return headerCode(requestHeaderNames[:], name) }

// RequestHeaderName returns the lower-case name of a request header code, or false when the code
// is not in the table.
func RequestHeaderName(code uint16) (string, bool) { return headerName(requestHeaderNames[:], code) }

// ResponseHeaderCode returns the code of a response header name (case-insensitive), or false when
// the name travels as a string.
func ResponseHeaderCode(name string) (uint16, bool) { return headerCode(responseHeaderNames[:], name) }

// ResponseHeaderName returns the canonical name of a response header code, or false when the code
// is not in the table (mod_jk calls that a protocol error).
func ResponseHeaderName(code uint16) (string, bool) { return headerName(responseHeaderNames[:], code) }

func headerCode(table []string, name string) (uint16, bool) {
	for i, n := range table {
		if len(n) == len(name) && strings.EqualFold(n, name) {
			return uint16(headerCodeBase + i), true
		}
	}
	return 0, false
}

func headerName(table []string, code uint16) (string, bool) {
	i := int(code) - headerCodeBase
	if i < 0 || i >= len(table) {
		return "", false
	}
	return table[i], true
}

// Attribute codes of FORWARD_REQUEST, in the order mod_jk sends them.
const (
	attrContext      byte = 0x01 // read and ignored by Tomcat
	attrServletPath  byte = 0x02 // read and ignored by Tomcat
	attrRemoteUser   byte = 0x03
	attrAuthType     byte = 0x04
	attrQueryString  byte = 0x05
	attrRoute        byte = 0x06
	attrSSLCert      byte = 0x07
	attrSSLCipher    byte = 0x08
	attrSSLSession   byte = 0x09
	attrReqAttribute byte = 0x0A
	attrSSLKeySize   byte = 0x0B
	attrSecret       byte = 0x0C
	attrStoredMethod byte = 0x0D
	attrAreDone      byte = 0xFF
)

// Names of the req_attribute (0x0A) values the Transport sends. Tomcat accepts them without
// configuration; any other name costs a 403 (the Ghostcat fix), so client data never becomes one.
const (
	AttrRemotePort  = "AJP_REMOTE_PORT"
	AttrLocalAddr   = "AJP_LOCAL_ADDR"
	AttrSSLProtocol = "AJP_SSL_PROTOCOL"
	AttrActivation  = "JK_LB_ACTIVATION"
)
