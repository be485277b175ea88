package frontdoor

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rollcd/roll/pkg/internal/apachetest"
	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

// dcase is one case of the differential: the bytes sent, in one or more writes, and what roll's answer
// must be compared with Apache's.
type dcase struct {
	name string
	send []step
	want expectation
}

// differentialCases are the tables of the cases_*_test.go files, by subject.
func differentialCases() []dcase {
	return concatCases(methodCases, queryCases, pathCases, headerCases, cookieCases, hostCases,
		bodyCases, responseCases, connectionCases)
}

func concatCases(groups ...[]dcase) []dcase {
	var all []dcase
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

// exchanges run at once: the cases are independent, and each mostly waits (settle, after its answers).
const differentialWorkers = 24

// TestDifferential sends every case byte for byte to Apache httpd + mod_jk and to roll, both in front of
// the same two Tomcats, and compares the answers after the normalisations of normalise_test.go.
func TestDifferential(t *testing.T) {
	apachetest.Require(t) // before the Tomcats start
	tcs := tomcats(t)
	httpd := startApache(t, tcs)
	roll := startRoll(t, tcs, nil)
	cases := differentialCases()
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.name] {
			t.Fatalf("two cases are named %q", c.name)
		}
		names[c.name] = true
	}

	doors := []frontDoor{{name: "apache", addr: httpd.Addr()}, {name: "roll", addr: roll.addr}}
	results := make([][2]sent, len(cases))
	work := make(chan int)
	var wg sync.WaitGroup
	for range differentialWorkers {
		wg.Go(func() {
			for i := range work {
				for d, door := range doors {
					results[i][d] = door.send(t, tcs, cases[i].send)
				}
			}
		})
	}
	for i := range cases {
		work <- i
	}
	close(work)
	wg.Wait()

	var nSame, nAccepted, nFailed int
	for i, c := range cases {
		a, r := results[i][0], results[i][1]
		an := normalise(a.ex, a.bytes, doors[0].port())
		rn := normalise(r.ex, r.bytes, doors[1].port())
		ok := t.Run(c.name, func(t *testing.T) {
			failed := judge(c.want, r.ex, an, rn)
			if failed == "" {
				if c.want.rel != relSame {
					t.Logf("%s\n  Apache: %s", c.want, summary(a.ex))
				}
				return
			}
			t.Errorf("%s\nwant %s\nsent to roll: %q\n%s\n--- Apache + mod_jk, normalised:\n%s\n--- roll, normalised:\n%s",
				failed, c.want, r.bytes, firstDifference(an, rn), clip(an), clip(rn))
		})
		switch {
		case !ok:
			nFailed++
		case an == rn:
			nSame++
		default:
			nAccepted++
		}
	}
	t.Logf("differential: %d same, %d accepted differences, %d failures (%d cases)", nSame, nAccepted, nFailed, len(cases))
}

// judge returns why roll's answer does not meet want, or "".
func judge(want expectation, ex exchange, apache, roll string) string {
	if want.rel == relSame {
		if apache != roll {
			return "roll's answer differs from Apache's"
		}
		return ""
	}
	var failed []string
	for _, c := range want.checks {
		if !c.ok(ex) {
			failed = append(failed, c.what)
		}
	}
	if len(failed) > 0 {
		return "roll's answer fails: " + strings.Join(failed, "; ")
	}
	if want.rel == relBetter && apache == roll {
		return "marked better, but Apache answers the same now: mark the case same"
	}
	return ""
}

// frontDoor is one of the two servers compared.
type frontDoor struct {
	name string
	addr string
}

func (d frontDoor) port() int {
	_, p, _ := net.SplitHostPort(d.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// sent is what one front door got (the steps with their placeholders filled in) and sent back.
type sent struct {
	bytes []byte
	ex    exchange
}

// send fills in the placeholders of steps for this front door and runs the exchange.
func (d frontDoor) send(t *testing.T, tcs [2]*tomcattest.Tomcat, steps []step) sent {
	filled := make([]step, len(steps))
	var all []byte
	for i, s := range steps {
		filled[i] = s
		filled[i].data = fill(t, tcs, s.data, d.port())
		all = append(all, filled[i].data...)
	}
	return sent{bytes: all, ex: roundTrip(d.addr, filled, methodsOf(filled))}
}

// placeholder: {{port}} is the front door's port; {{sid:tomcat1}} a new real session of that Tomcat,
// made on its HTTP connector, so that each front door continues a session of its own.
var placeholder = regexp.MustCompile(`\{\{(port|sid:tomcat[12])\}\}`)

func fill(t *testing.T, tcs [2]*tomcattest.Tomcat, data []byte, port int) []byte {
	return placeholder.ReplaceAllFunc(data, func(m []byte) []byte {
		switch name := string(m[2 : len(m)-2]); name {
		case "port":
			return []byte(strconv.Itoa(port))
		case "sid:" + route1:
			return []byte(newSession(t, tcs[0]))
		default:
			return []byte(newSession(t, tcs[1]))
		}
	})
}

// newSession starts a session on tc and returns its id ("<hex>.<route>"), or "" (the case then fails
// with a visible difference) when Tomcat does not give one.
func newSession(t *testing.T, tc *tomcattest.Tomcat) string {
	resp, err := http.Get(tc.HTTPURL("/app/hello.jsp"))
	if err != nil {
		t.Errorf("starting a session on %s: %v", tc.Route(), err)
		return ""
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	for _, c := range resp.Cookies() {
		if c.Name == "JSESSIONID" {
			return c.Value
		}
	}
	t.Errorf("hello.jsp on %s set no JSESSIONID", tc.Route())
	return ""
}

// summary is one line about an exchange, for the log.
func summary(ex exchange) string {
	var parts []string
	for _, r := range ex.Responses {
		parts = append(parts, fmt.Sprintf("%s %d (%d body bytes)", r.Proto, r.Status, len(r.Body)))
	}
	if len(parts) == 0 {
		parts = append(parts, "no response")
	}
	if ex.Closed {
		parts = append(parts, "closed")
	}
	return strings.Join(parts, ", ")
}

// firstDifference shows the first line where a and b differ.
func firstDifference(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("first difference, line %d:\n  Apache: %q\n  roll:   %q", i+1, clipLine(x), clipLine(y))
		}
	}
	return "(no difference)"
}

const clipAt = 2500

func clip(s string) string {
	if len(s) <= clipAt {
		return s
	}
	return s[:clipAt] + fmt.Sprintf("… (%d more bytes)", len(s)-clipAt)
}

func clipLine(s string) string {
	if len(s) <= 200 {
		return s
	}
	return s[:200] + "…"
}
