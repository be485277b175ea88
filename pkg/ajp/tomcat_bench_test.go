package ajp_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/rollcd/roll/pkg/internal/tomcattest"
)

// benchTomcatGet requests url with c b.N times (spread over goroutines when parallel) and checks each answer.
func benchTomcatGet(b *testing.B, c *http.Client, url string, parallel bool) {
	b.ReportAllocs()
	one := func() {
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("GET %s: %d, %v", url, resp.StatusCode, err)
		}
	}
	one() // connect outside the measurement
	b.ResetTimer()
	if !parallel {
		for b.Loop() {
			one()
		}
		return
	}
	// 8 goroutines per CPU keep several requests in flight, as a gateway under load does, so the pool
	// holds several connections and Tomcat serves them on several threads.
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			one()
		}
	})
}

// BenchmarkTomcatRoundTrip measures GET /app/nosession.jsp through the Transport to a real Tomcat.
func BenchmarkTomcatRoundTrip(b *testing.B) {
	tc := tomcattest.Shared(b, tomcatConformance)
	for _, parallel := range []bool{false, true} {
		name := "serial"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) {
			tr, _ := newTomcatTransport(tc)
			defer tr.CloseIdleConnections()
			benchTomcatGet(b, &http.Client{Transport: tr}, tc.AJPURL("/app/nosession.jsp"), parallel)
		})
	}
}

// BenchmarkTomcatDirectHTTP is the comparison: the same page from the same Tomcat over its HTTP
// connector with net/http's Transport.
func BenchmarkTomcatDirectHTTP(b *testing.B) {
	tc := tomcattest.Shared(b, tomcatConformance)
	for _, parallel := range []bool{false, true} {
		name := "serial"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			benchTomcatGet(b, &http.Client{Transport: tr}, tc.HTTPURL("/app/nosession.jsp"), parallel)
		})
	}
}
