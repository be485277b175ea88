// Package answer reads the one-line answer of the example apps
// ("version=v1 route=abc session=<id>.abc hits=3 …"), which the demo's load
// generator and the end-to-end tests use to see who served a request.
package answer

import (
	"regexp"
	"strconv"
)

var (
	versionRe = regexp.MustCompile(`version=(\S+)`)
	routeRe   = regexp.MustCompile(`route=(\S+)`)
	sessionRe = regexp.MustCompile(`session=(\S+)`)
	hitsRe    = regexp.MustCompile(`hits=(\d+)`)
)

// Answer is what an example app says about the request it served.
type Answer struct {
	Version string // the release that answered
	Route   string // the instance (jvmRoute) that answered
	Session string // the session id, <id>.<route>
	Hits    int    // requests counted in the caller's session, 1 for a new session
}

// Parse reads an answer; missing fields stay empty.
func Parse(body []byte) Answer {
	var a Answer
	if m := versionRe.FindSubmatch(body); m != nil {
		a.Version = string(m[1])
	}
	if m := routeRe.FindSubmatch(body); m != nil {
		a.Route = string(m[1])
	}
	if m := sessionRe.FindSubmatch(body); m != nil {
		a.Session = string(m[1])
	}
	if m := hitsRe.FindSubmatch(body); m != nil {
		a.Hits, _ = strconv.Atoi(string(m[1]))
	}
	return a
}
