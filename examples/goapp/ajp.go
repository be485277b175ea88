package main

import (
	"net/http"

	"github.com/rollcd/roll/pkg/ajp"
)

// newAJPServer serves the app over AJP13, as a Tomcat connector with
// secretRequired="true" would: a request without the secret gets 403.
func newAJPServer(a *app, secret string) server {
	return &ajp.Server{
		Handler: a.handler("ajp", ajpActivation),
		Secret:  secret,
		Logger:  a.log,
	}
}

// ajpActivation reads the activation the gateway sends as the JK_LB_ACTIVATION
// request attribute, as mod_jk does. A client cannot forge it: client headers
// never become AJP attributes.
func ajpActivation(r *http.Request) string {
	v, _ := ajp.RequestAttribute(r, ajp.AttrActivation)
	return v
}
