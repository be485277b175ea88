package frontdoor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

// relation is what a case expects of roll compared with Apache httpd + mod_jk.
type relation int

const (
	// relSame: both answer the same after normalisation.
	relSame relation = iota
	// relBetter: roll differs on purpose, and its answer satisfies the checks; Apache's does not
	// (a case whose answers agree is stale: mark it same).
	relBetter
	// relRoll: roll's behaviour is prescribed by the checks, whatever Apache does.
	relRoll
)

// expectation is a case's relation, why (for better) or what roll must do (for roll), and the checks
// of roll's answer.
type expectation struct {
	rel    relation
	why    string
	checks []check
}

// same expects the same answer from both.
var same = expectation{rel: relSame}

// better expects roll to differ from Apache, for the reason why, and to pass checks.
func better(why string, checks ...check) expectation {
	return expectation{rel: relBetter, why: why, checks: checks}
}

// rollDoes prescribes roll's behaviour, what, by checks.
func rollDoes(what string, checks ...check) expectation {
	return expectation{rel: relRoll, why: what, checks: checks}
}

func (e expectation) String() string {
	switch e.rel {
	case relBetter:
		return "better: " + e.why
	case relRoll:
		return "roll: " + e.why
	}
	return "same"
}

// check is one property of what roll sent back on a connection.
type check struct {
	what string
	ok   func(ex exchange) bool
}

// first is the first response of ex, or nil.
func first(ex exchange) *response {
	if len(ex.Responses) == 0 {
		return nil
	}
	return ex.Responses[0]
}

// status: the first response has one of codes.
func status(codes ...int) check {
	return check{fmt.Sprintf("status %v", codes), func(ex exchange) bool {
		r := first(ex)
		return r != nil && slices.Contains(codes, r.Status)
	}}
}

// refused: no 2xx or 3xx, no response from Tomcat; either one of codes, or the connection closed
// without any response.
func refused(codes ...int) check {
	return check{fmt.Sprintf("status %v or closed without an answer", codes), func(ex exchange) bool {
		r := first(ex)
		if r == nil {
			return ex.Closed
		}
		return slices.Contains(codes, r.Status) && !fromTomcat(r)
	}}
}

// line: the first response's body has the line key=value; header names in keys ("header.x-a") match
// in any case.
func line(key, value string) check {
	return check{fmt.Sprintf("body line %s=%s", key, value), func(ex exchange) bool {
		r := first(ex)
		if r == nil {
			return false
		}
		for _, l := range bodyLines(r) {
			k, v, ok := strings.Cut(l, "=")
			if ok && v == value && (k == key || strings.HasPrefix(key, "header") && strings.EqualFold(k, key)) {
				return true
			}
		}
		return false
	}}
}

// noLine: the first response is a page of the test webapp whose body has no line starting with prefix.
func noLine(prefix string) check {
	return check{fmt.Sprintf("a page of the webapp without a line %s…", prefix), func(ex exchange) bool {
		r := first(ex)
		if r == nil || !strings.HasPrefix(string(r.Body), "route=") {
			return false
		}
		for _, l := range bodyLines(r) {
			if strings.HasPrefix(strings.ToLower(l), strings.ToLower(prefix)) {
				return false
			}
		}
		return true
	}}
}

// notReached: no response carries the marker of the webapp outside the mount.
func notReached() check {
	return check{"never the /other webapp", func(ex exchange) bool {
		for _, r := range ex.Responses {
			if strings.Contains(string(r.Body), tomcattest.OtherMarker) {
				return false
			}
		}
		return true
	}}
}

// closed: the front door closed the connection after its answers, with no second one.
func closed() check {
	return check{"one answer at most, then the connection closed", func(ex exchange) bool {
		return ex.Closed && len(ex.Responses) <= 1
	}}
}

// answers: exactly n responses.
func answers(n int) check {
	return check{fmt.Sprintf("%d responses", n), func(ex exchange) bool { return len(ex.Responses) == n }}
}

func bodyLines(r *response) []string { return strings.Split(string(r.Body), "\n") }

// fromTomcat reports whether r is an answer of the test webapps or Tomcat's own error page.
func fromTomcat(r *response) bool {
	b := string(r.Body)
	return strings.HasPrefix(b, "route=") || strings.Contains(b, "Apache Tomcat/") || strings.Contains(b, tomcattest.OtherMarker)
}
