package ajp_test

import (
	"io"
	"net/http"
	"sync/atomic"
	"testing"
)

func TestSmoke(t *testing.T) {
	b := startBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Method+" "+r.RequestURI)
	}))
	var dials atomic.Int32
	c := &http.Client{Transport: countingTransport(&dials)}
	for i := 0; i < 3; i++ {
		resp, err := c.Get(b.url("/a%20b?x=1"))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(body) != "GET /a%20b?x=1" || resp.StatusCode != 200 {
			t.Fatalf("%d %q %v", resp.StatusCode, body, err)
		}
	}
	if dials.Load() != 1 {
		t.Errorf("dials %d", dials.Load())
	}
}
