package h1

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/rollcd/roll/internal/tlstest"
)

type connKey struct{}

// A *tls.Conn from the listener is served as HTTPS: the server finishes its handshake, every
// request carries its state, and ConnContext sees the connection.
func TestServerTLSConn(t *testing.T) {
	ca := tlstest.NewCA(t)
	cert := ca.Server(t, time.Time{}, "shop.example").TLS(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS == nil || !r.TLS.HandshakeComplete || r.TLS.ServerName != "shop.example" {
				t.Errorf("request TLS = %+v, want the handshake's state for shop.example", r.TLS)
			}
			io.WriteString(w, r.Context().Value(connKey{}).(string))
		}),
		ConnContext: func(ctx context.Context, nc net.Conn) context.Context {
			_, isTLS := nc.(*tls.Conn)
			if !isTLS {
				t.Errorf("ConnContext got a %T, want the listener's *tls.Conn", nc)
			}
			return context.WithValue(ctx, connKey{}, "from ConnContext")
		},
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}})) }()
	t.Cleanup(func() {
		s.Close()
		<-done
	})

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: "shop.example"}}}
	defer client.CloseIdleConnections()
	for range 2 { // the second on the kept connection
		resp, err := client.Get("https://" + l.Addr().String() + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "from ConnContext" {
			t.Fatalf("body %q", body)
		}
	}
}

// A TLS listener's client that never completes its handshake is cut off after ReadHeaderTimeout.
func TestServerTLSHandshakeBounded(t *testing.T) {
	ca := tlstest.NewCA(t)
	cert := ca.Server(t, time.Time{}, "shop.example").TLS(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 200 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- s.Serve(tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}})) }()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := nc.Read(make([]byte, 1)); err == nil {
		t.Fatal("the server sent something to a client that sent no ClientHello")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server kept a silent TLS client for 5 s")
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("cut off after %s, before ReadHeaderTimeout", d)
	}
}
