// Command probe is the one binary of dockerx's test image (FROM scratch): a
// small server whose behaviour the tests steer through its environment, and
// the client commands the tests run in other containers.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: probe serve|health|get URL|cat FILE|lookup NAME|exit CODE|dial ADDRESS|echo")
	}
	switch os.Args[1] {
	case "serve":
		serve()
	case "health":
		resp, err := http.Get("http://127.0.0.1:8080/health")
		if err != nil || resp.StatusCode != http.StatusOK {
			fail(fmt.Sprint("unhealthy: ", err))
		}
	case "get":
		resp, err := http.Get(os.Args[2])
		if err != nil {
			fail(err.Error())
		}
		body, _ := io.ReadAll(resp.Body)
		fmt.Printf("%s\n", body)
	case "cat":
		data, err := os.ReadFile(os.Args[2])
		if err != nil {
			fail(err.Error())
		}
		fmt.Printf("%s\n", data)
	case "lookup":
		addrs, err := net.LookupHost(os.Args[2])
		if err != nil {
			fail(err.Error())
		}
		fmt.Println(strings.Join(addrs, " "))
	case "dial":
		dial(os.Args[2])
	case "echo":
		if _, err := io.Copy(os.Stdout, os.Stdin); err != nil {
			fail(err.Error())
		}
	case "exit":
		code, _ := strconv.Atoi(os.Args[2])
		fmt.Println("exiting with", code)
		os.Exit(code)
	default:
		fail("unknown command " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(1)
}

// serve answers HTTP on :8080 and reports the signals it gets; with
// PROBE_IGNORE_SIGNALS=1 it keeps running after them, to be killed.
func serve() {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	if w := os.Getenv("PROBE_WRITE"); w != "" {
		path, content, _ := strings.Cut(w, ":")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			fail(err.Error())
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, os.Getenv("APP_MESSAGE")) })
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("/stream", stream)
	l, err := net.Listen("tcp", ":8080")
	if err != nil {
		fail(err.Error())
	}
	go func() { _ = (&http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}).Serve(l) }()
	if msg := os.Getenv("PROBE_STDERR"); msg != "" {
		fmt.Fprintln(os.Stderr, msg)
	}
	n, _ := strconv.Atoi(os.Getenv("PROBE_LINES"))
	for i := range n {
		fmt.Printf("line %d\n", i)
	}
	fmt.Println("ready")
	for sig := range signals {
		fmt.Println("got", sig)
		if os.Getenv("PROBE_IGNORE_SIGNALS") != "1" {
			os.Exit(0)
		}
	}
}

// dial connects its standard streams to a TCP address, as `roll dial` does,
// for the DialExec tests: input to the connection (half-closed at its end),
// the connection to output until the far side closes.
func dial(addr string) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		fail(err.Error())
	}
	go func() {
		_, _ = io.Copy(conn, os.Stdin)
		_ = conn.(*net.TCPConn).CloseWrite()
	}()
	if _, err := io.Copy(os.Stdout, conn); err != nil {
		fail(err.Error())
	}
}

// stream answers one line at once and holds the response open until the
// client goes away, which it reports on stdout: what a rollout stream needs
// from a tunnel.
func stream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	fmt.Fprintln(w, `{"step":"first"}`)
	w.(http.Flusher).Flush()
	select {
	case <-r.Context().Done():
		fmt.Println("stream: client gone")
	case <-time.After(time.Minute):
		fmt.Fprintln(w, `{"step":"timeout"}`)
	}
}
