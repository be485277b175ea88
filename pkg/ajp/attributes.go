package ajp

import (
	"context"
	"net/http"
)

type forwardRequestKey struct{}

// ForwardRequestOf returns the FORWARD_REQUEST a Server decoded for r, with everything the web
// server sent that http.Request has no field for (route, SSL attributes, remote user,
// req_attributes such as JK_LB_ACTIVATION). The secret is removed. It returns nil for a request
// that did not come through a Server. The handler must not modify it.
func ForwardRequestOf(r *http.Request) *ForwardRequest {
	f, _ := r.Context().Value(forwardRequestKey{}).(*ForwardRequest)
	return f
}

// RequestAttributes returns the req_attribute (0x0A) pairs of a request a Server received, in
// wire order, or nil.
func RequestAttributes(r *http.Request) []Header {
	if f := ForwardRequestOf(r); f != nil {
		return f.ReqAttributes
	}
	return nil
}

// RequestAttribute returns the value of the req_attribute called name (e.g. AttrActivation), and
// whether the request carried it.
func RequestAttribute(r *http.Request, name string) (string, bool) {
	for _, a := range RequestAttributes(r) {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

func withForwardRequest(ctx context.Context, f *ForwardRequest) context.Context {
	return context.WithValue(ctx, forwardRequestKey{}, f)
}
