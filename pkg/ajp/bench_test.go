package ajp

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func BenchmarkForwardRequestAppend(b *testing.B) {
	f, err := ParseForwardRequest(mustHex(b, captureGetInfo)[HeaderSize:])
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, DefaultPacketSize)
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = f.AppendPacket(buf[:0], DefaultPacketSize); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// What the Transport does per request before any I/O: describe an http.Request that a server
// received and encode it.
func BenchmarkForwardRequestFromHTTP(b *testing.B) {
	req, _ := http.NewRequest("GET", "ajp://127.0.0.1:8009/app/info.jsp?x=1&y=%20z", nil)
	req.Host, req.RemoteAddr = "127.0.0.1:18000", "127.0.0.1:40624"
	req.Header = http.Header{"User-Agent": {"curl/7.88.1"}, "Accept": {"*/*"},
		"Cookie": {"JSESSIONID=4DECAE74110583C68C94E124DAD9BB88.tomcat2"}, "X-Test": {"abc"}}
	info := &RequestInfo{RemoteAddr: "127.0.0.1", RemotePort: 40624, LocalAddr: "127.0.0.1", ServerName: "127.0.0.1",
		ServerPort: 18000, Route: "tomcat2", Activation: "ACT"}
	buf := make([]byte, 0, DefaultPacketSize)
	b.ReportAllocs()
	for b.Loop() {
		f := forwardPool.Get().(*ForwardRequest)
		f.fill(req, info, "peer-ajp-secret-0123456789", 0)
		var err error
		if buf, err = f.AppendPacket(buf[:0], DefaultPacketSize); err != nil {
			b.Fatal(err)
		}
		f.release()
	}
}

func BenchmarkParseSendHeaders(b *testing.B) {
	payload := mustHex(b, captureSendHeaders200)[HeaderSize:]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSendHeaders(payload); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBackend starts a Server on loopback for the round-trip benchmarks.
func benchBackend(b *testing.B, h http.Handler) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &Server{Handler: h}
	go srv.Serve(l)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return "ajp://" + l.Addr().String()
}

var helloHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	io.WriteString(w, "route=go\nhello\n")
})

func roundTrip(b *testing.B, tr *Transport, req *http.Request, buf []byte) {
	resp, err := tr.RoundTrip(req)
	if err != nil {
		b.Fatal(err)
	}
	for {
		if _, err := resp.Body.Read(buf); err != nil {
			break
		}
	}
	resp.Body.Close()
}

// A full GET through the Transport to a Server and back, on one pooled connection.
func BenchmarkRoundTrip(b *testing.B) {
	url := benchBackend(b, helloHandler)
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest("GET", url+"/app/nosession.jsp", nil)
	req.Header.Set("User-Agent", "bench")
	buf := make([]byte, 512)
	roundTrip(b, tr, req, buf) // connect and CPing outside the measurement
	b.ReportAllocs()
	for b.Loop() {
		roundTrip(b, tr, req, buf)
	}
}

func BenchmarkRoundTripParallel(b *testing.B) {
	url := benchBackend(b, helloHandler)
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", url+"/app/nosession.jsp", nil)
		buf := make([]byte, 512)
		for pb.Next() {
			roundTrip(b, tr, req, buf)
		}
	})
}

// A POST with a 1 KiB body: FORWARD_REQUEST and the first body packet in one write.
func BenchmarkRoundTripPost(b *testing.B) {
	url := benchBackend(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	}))
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	body := strings.Repeat("x", 1024)
	buf := make([]byte, 512)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req, _ := http.NewRequest("POST", url+"/echo", strings.NewReader(body))
		roundTrip(b, tr, req, buf)
	}
}

// discardReply is the cheapest ReplyWriter, so that BenchmarkForward measures the exchange.
type discardReply struct{ h http.Header }

func (d *discardReply) Header() http.Header                   { return d.h }
func (d *discardReply) WriteStatus(status int, n int64) error { return nil }
func (d *discardReply) Write(p []byte) (int, error)           { return len(p), nil }
func (d *discardReply) Flush() error                          { return nil }

// The GET of BenchmarkRoundTrip, relayed by Forward.
func BenchmarkForward(b *testing.B) {
	url := benchBackend(b, helloHandler)
	addr := strings.TrimPrefix(url, "ajp://")
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "/app/nosession.jsp", nil)
	req.Header.Set("User-Agent", "bench")
	req.RemoteAddr = "127.0.0.1:40624"
	w := &discardReply{h: http.Header{}}
	info := RequestInfo{RemoteAddr: "127.0.0.1", RemotePort: 40624, ServerName: "app.test", ServerPort: 80}
	forward := func() {
		clear(w.h)
		if err := tr.Forward(context.Background(), addr, req, info, w); err != nil {
			b.Fatal(err)
		}
	}
	forward() // connect and CPing outside the measurement
	b.ReportAllocs()
	for b.Loop() {
		forward()
	}
}
