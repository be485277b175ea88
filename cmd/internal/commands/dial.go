package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"
)

// dialTimeout bounds connecting to the address `roll dial` is given: the
// admin API on loopback answers at once or not at all.
const dialTimeout = 10 * time.Second

// gatewayBinary is where roll's gateway image keeps the roll binary, which the
// CLI runs inside the gateway container to reach its admin API.
const gatewayBinary = "/roll"

func init() {
	register(&cli.Command{
		Name:      "dial",
		Hidden:    true, // the far end of a tunnel, not a command for people
		Usage:     "connect standard input and output to a TCP address",
		ArgsUsage: "ADDRESS",
		Description: `Copies standard input to ADDRESS and what ADDRESS answers to standard output,
   until the address closes the connection. The roll CLI runs it in the gateway
   container through the Docker engine (docker exec) to reach the admin API on the
   container's loopback, wherever the engine is.`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError{fmt.Errorf("dial takes one ADDRESS (host:port), got %v", c.Args().Slice())}
			}
			return dial(c.Context, c.Args().First(), os.Stdin, os.Stdout)
		},
	})
}

// dial connects in and out to a TCP address. The end of in half-closes the
// connection, so the server still answers what it was sent; the server
// closing the connection ends dial.
func dial(ctx context.Context, addr string, in io.Reader, out io.Writer) error {
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("dialing %s: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	go func() {
		_, _ = io.Copy(conn, in)
		_ = conn.(*net.TCPConn).CloseWrite()
	}()
	if _, err := io.Copy(out, conn); err != nil && ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("copying from %s: %w", addr, err)
	}
	return ctx.Err()
}

// execDialer runs a command in a container and connects to its standard
// streams: dockerx.Client.DialExec.
type execDialer interface {
	DialExec(ctx context.Context, containerID string, cmd []string) (net.Conn, error)
}

// adminHTTPClient is the HTTP client for a gateway's admin API, which listens
// on port inside the gateway container. Each connection goes to published
// (the host address Docker published for the port) when it is set and
// answers; else through a tunnel: `roll dial 127.0.0.1:PORT` run in the
// container through the Docker engine, which reaches the port wherever the
// engine is and whether it is published or not. The fallback covers an engine
// socket forwarded from another machine, which looks local but publishes
// ports there. Connections are kept alive, so a command starts the tunnel
// (some 50-100 ms) once.
func adminHTTPClient(docker execDialer, containerID string, port int, published string) *http.Client {
	cmd := []string{gatewayBinary, "dial", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	direct := net.Dialer{Timeout: dialTimeout}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var directErr error
			if published != "" {
				conn, err := direct.DialContext(ctx, "tcp", published)
				if err == nil {
					return conn, nil
				}
				directErr = err
			}
			conn, err := docker.DialExec(ctx, containerID, cmd)
			if err != nil {
				return nil, errors.Join(directErr, fmt.Errorf("tunnelling through the Docker engine: %w", err))
			}
			return conn, nil
		},
		IdleConnTimeout: 30 * time.Second,
	}}
}
