package gateway

import (
	"context"
	"errors"
	"net/http"

	"github.com/rollcd/roll/pkg/admin"
)

// errAJPPending stands until pkg/ajp lands; then protocol_ajp.go replaces this file.
var errAJPPending = errors.New("AJP backends are not supported by this build yet")

type ajpClient struct{}

func (g *Gateway) newAJPClient(admin.ServiceSpec) protocolClient { return ajpClient{} }

func (ajpClient) forward(*http.Request, member, bool) (*http.Response, error) {
	return nil, errAJPPending
}
func (ajpClient) retryable(*http.Request, error) bool { return false }
func (ajpClient) check(context.Context, admin.ServiceSpec, member) error {
	return errAJPPending
}

func (ajpClient) closeIdle() {}

func protocolErrorStatus(error) (int, string, bool) { return 0, "", false }
