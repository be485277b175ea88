package ajp

import "context"

// RequestInfo is what a gateway knows about a request that the backend must see as if the client
// had connected to it: the client's address, the gateway's listening address, TLS, the chosen
// route and the backend's activation. The Transport reads it from the request context.
type RequestInfo struct {
	RemoteAddr string // client IP address (remote_addr; Tomcat's getRemoteAddr)
	RemotePort int    // client port, sent as AJP_REMOTE_PORT when > 0
	LocalAddr  string // the gateway address the client connected to, sent as AJP_LOCAL_ADDR
	ServerName string // the host name the client asked for (server_name; Tomcat's getServerName)
	ServerPort int    // the port the client connected to (server_port)
	IsSSL      bool   // the client connection was TLS
	// Of a TLS connection the gateway ended itself (the request's TLS is set); the cipher, its
	// key size and the protocol version the Transport takes from the request's TLS.
	SSLSession string // the TLS session's id (hex), sent as ssl_session (0x09)
	SSLCert    string // the client's certificate in PEM, sent as ssl_cert (0x07)
	Route      string // the chosen backend's jvmRoute, sent as attribute 0x06
	Activation string // the backend's activation: "ACT", "DIS" or "STP", sent as JK_LB_ACTIVATION
}

type requestInfoKey struct{}

// WithRequestInfo returns a context that carries info to the Transport.
func WithRequestInfo(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, &info)
}

// RequestInfoFrom returns the RequestInfo that ctx carries, if any.
func RequestInfoFrom(ctx context.Context) (RequestInfo, bool) {
	if info, ok := ctx.Value(requestInfoKey{}).(*RequestInfo); ok {
		return *info, true
	}
	return RequestInfo{}, false
}

// validActivation reports whether a is one of mod_jk's activation words; nothing else is sent.
func validActivation(a string) bool { return a == "ACT" || a == "DIS" || a == "STP" }

// requestInfo returns the stored RequestInfo without copying it, or nil.
func requestInfo(ctx context.Context) *RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*RequestInfo)
	return info
}
