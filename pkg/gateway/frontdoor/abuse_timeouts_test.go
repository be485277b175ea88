package frontdoor

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/gateway"
)

// clientTimeout is the gateway's BodyReadTimeout and WriteTimeout in these tests.
const clientTimeout = time.Second

func timeoutConfig(c *gateway.Config) {
	abuseConfig(c)
	c.BodyReadTimeout = clientTimeout
	c.WriteTimeout = clientTimeout
}

// trickle is h, then a byte every 200 ms for a second, then nothing: BodyReadTimeout is how long a
// client may send nothing, so the clock starts at the last byte.
func trickle(h string) []step {
	steps := raw(h)
	for range 5 {
		steps = then(steps, trickleGap, "x")
	}
	return steps
}

const trickleGap = 200 * time.Millisecond

func TestAbuseSlowBody(t *testing.T) {
	roll := startRoll(t, tomcats(t), timeoutConfig)
	// The trickle's second plus three timeouts: the last byte starts BodyReadTimeout's clock.
	within := check{"closed within 3 timeouts of the last byte", func(ex exchange) bool {
		return ex.Closed && ex.Elapsed < 5*trickleGap+3*clientTimeout
	}}
	runAbuseWithin(t, roll, []acase{
		{"no body at all", raw(head("POST", "/app/echo.jsp", "Content-Length: 100000")), []check{refused(408), within}},
		{"a trickle of body", trickle(head("POST", "/app/echo.jsp", "Content-Length: 100000")), []check{refused(408), within}},
		{"half the body, then nothing", raw(head("POST", "/app/echo.jsp", "Content-Length: 100000") + repeat("h", 50000)), []check{refused(408), within}},
		{"a chunked trickle", trickle(head("POST", "/app/echo.jsp", "Transfer-Encoding: chunked") + "186a0\r\n"), []check{refused(408), within}},
		{"to a page that never reads its body", raw(head("POST", "/app/info.jsp", "Content-Length: 100000")), []check{refused(408), within}},
	}, 5*trickleGap+3*clientTimeout)
}

// TestAbuseSlowReader asks for 50 MB and reads nothing: roll must drop the client after WriteTimeout
// instead of holding the response (and Tomcat's thread) for it.
func TestAbuseSlowReader(t *testing.T) {
	roll := startRoll(t, tomcats(t), timeoutConfig)
	const size = 50_000_000
	conn, err := net.DialTimeout("tcp", roll.addr, dialTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(head("GET", "/app/big.jsp?bytes=50000000"))); err != nil {
		t.Fatal(err)
	}
	// Not reading: once the socket buffers (a few MB on loopback) are full the gateway's writes block.
	// A smaller receive buffer would not make the test faster: on loopback it stalls the reading below.
	time.Sleep(4 * clientTimeout)

	// Now read as fast as possible: a gateway that gave up closed the connection long before 50 MB.
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, err := io.Copy(io.Discard, conn)
	switch {
	case isTimeout(err):
		t.Fatalf("the connection is still open %s after the client stopped reading (%d bytes read since)", 4*clientTimeout, n)
	case n >= size:
		t.Fatalf("the whole response (%d bytes) waited for a client that stopped reading", n)
	case err != nil && !isReset(err) && !strings.Contains(err.Error(), "reset"):
		t.Fatalf("reading after the stall: %v", err)
	}
	noneInFlight(t, roll, "app")
	probe(t, roll)
}
