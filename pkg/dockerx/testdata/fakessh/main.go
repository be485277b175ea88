// Command fakessh stands in for the ssh client in dockerx's tests: called as
// roll calls ssh, it records its arguments and, instead of logging in
// anywhere, does what `docker system dial-stdio` does on the far side —
// connects its standard streams to the engine named by FAKESSH_ENGINE
// (unix:///path or tcp://host:port).
//
// FAKESSH_LOG names a file that gets one line of arguments per call.
// FAKESSH_FAIL makes it print that message and exit 255, as ssh does when it
// cannot connect.
package main

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
)

func main() {
	args := os.Args[1:]
	if log := os.Getenv("FAKESSH_LOG"); log != "" {
		f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			fail(255, err.Error())
		}
		fmt.Fprintln(f, strings.Join(args, " "))
		f.Close()
	}
	if msg := os.Getenv("FAKESSH_FAIL"); msg != "" {
		fail(255, msg)
	}
	// After "--": the host, then the remote command, which must end in
	// `system dial-stdio` like the docker CLI's.
	sep := slices.Index(args, "--")
	if sep < 0 || len(args) < sep+5 || args[sep+2] != "docker" ||
		!slices.Equal(args[len(args)-2:], []string{"system", "dial-stdio"}) {
		fail(127, fmt.Sprintf("fakessh: unexpected arguments %q", args))
	}
	engine, err := url.Parse(os.Getenv("FAKESSH_ENGINE"))
	if err != nil {
		fail(255, err.Error())
	}
	network, address := engine.Scheme, engine.Host
	if network == "unix" {
		address = engine.Path
	}
	conn, err := net.Dial(network, address)
	if err != nil {
		fail(1, err.Error())
	}
	go func() {
		_, _ = io.Copy(conn, os.Stdin)
		if cw, ok := conn.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
	}()
	_, _ = io.Copy(os.Stdout, conn)
}

func fail(code int, msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(code)
}
