package dockerx

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
)

// errExecStream means the engine's exec stream broke its framing: a frame of
// an unknown kind, or a stream cut inside a frame.
var errExecStream = errors.New("malformed exec stream")

// Stream kinds of the engine's multiplexed exec stream: every frame is an
// 8-byte header (kind, three zero bytes, big-endian length) and the payload.
const (
	frameStdin  = 0
	frameStdout = 1
	frameStderr = 2
	frameSystem = 3 // an error of the engine itself, such as a failed start

	frameHeaderLen = 8
)

// DialExec runs cmd in a running container as `docker exec -i` does, and
// returns a connection to it: reads return what cmd writes to its standard
// output, writes go to its standard input. It works wherever the engine is,
// since the bytes travel over the engine's own connection (a socket, TCP or
// ssh), which is what lets roll reach a port that only the container sees:
// cmd is then a program that copies its standard streams to that port, such
// as `roll dial 127.0.0.1:9901`.
//
// What cmd writes to its standard error is kept, and when cmd ends with a
// message there the read that meets the end returns it as an error. ctx
// bounds starting the command, not the connection's life. Closing the
// connection closes cmd's standard input; CloseWrite does only that and keeps
// the output readable.
func (c *Client) DialExec(ctx context.Context, containerID string, cmd []string) (net.Conn, error) {
	what := fmt.Sprintf("%s in container %s", strings.Join(cmd, " "), shortID(containerID))
	// No TTY: a terminal would rewrite bytes (line endings, control
	// characters), so the output comes multiplexed and is unframed in Read.
	created, err := c.api.ContainerExecCreate(ctx, containerID, container.ExecOptions{
		AttachStdin:  true,
		AttachStdout: true,
		AttachStderr: true,
		Cmd:          cmd,
	})
	if err != nil {
		return nil, engineError("starting "+what, err)
	}
	resp, err := c.api.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return nil, engineError("attaching to "+what, err)
	}
	return newExecConn(resp, what), nil
}

// execConn is the connection DialExec returns: writes go straight to the
// hijacked engine connection (the command's stdin is raw), reads take the
// stdout frames of the multiplexed stream apart.
type execConn struct {
	net.Conn               // the hijacked connection to the engine
	r        *bufio.Reader // reads of Conn, holding what the engine sent along with its upgrade
	raw      bool          // the engine sends stdout unframed (it said so in the upgrade)
	what     string        // the command and container, for errors
	stderr   tailBuffer

	readMu sync.Mutex
	left   int // bytes of the current stdout frame not read yet
}

func newExecConn(resp types.HijackedResponse, what string) *execConn {
	mediaType, _ := resp.MediaType()
	return &execConn{
		Conn:   resp.Conn,
		r:      resp.Reader,
		raw:    mediaType == types.MediaTypeRawStream,
		what:   what,
		stderr: tailBuffer{max: stderrTail},
	}
}

// Read returns the command's standard output.
func (c *execConn) Read(p []byte) (int, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if c.raw {
		n, err := c.r.Read(p)
		return n, c.ended(err)
	}
	for c.left == 0 {
		if err := c.nextFrame(); err != nil {
			return 0, err
		}
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= n
	if err == io.EOF && c.left > 0 {
		return n, fmt.Errorf("reading the output of %s: %w: the stream ended inside a frame", c.what, errExecStream)
	}
	return n, c.ended(err)
}

// nextFrame reads frame headers until one that carries standard output,
// keeping standard error aside.
func (c *execConn) nextFrame() error {
	var hdr [frameHeaderLen]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return fmt.Errorf("reading the output of %s: %w: the stream ended inside a frame header", c.what, errExecStream)
		}
		return c.ended(err)
	}
	size := int64(binary.BigEndian.Uint32(hdr[4:]))
	switch hdr[0] {
	case frameStdin, frameStdout: // the engine's own demultiplexer reads stdin frames as output too
		c.left = int(size)
		return nil
	case frameStderr:
		if _, err := io.CopyN(&c.stderr, c.r, size); err != nil {
			return fmt.Errorf("reading the error output of %s: %w: %w", c.what, errExecStream, err)
		}
		return nil
	case frameSystem:
		msg, err := io.ReadAll(io.LimitReader(c.r, size))
		if err != nil {
			return fmt.Errorf("reading an engine error about %s: %w", c.what, err)
		}
		return fmt.Errorf("running %s: the engine says: %s", c.what, strings.TrimSpace(string(msg)))
	default:
		return fmt.Errorf("reading the output of %s: %w: frame kind %d", c.what, errExecStream, hdr[0])
	}
}

// ended turns the end of the output into the command's error message, when
// it left one on standard error.
func (c *execConn) ended(err error) error {
	if err != io.EOF {
		return err
	}
	if msg := strings.TrimSpace(c.stderr.String()); msg != "" {
		return fmt.Errorf("%s ended: %s", c.what, msg)
	}
	return io.EOF
}

// CloseWrite closes the command's standard input; its output stays readable.
func (c *execConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return fmt.Errorf("closing the input of %s: the engine connection %T cannot half-close", c.what, c.Conn)
}

// RemoteAddr names the command and its container.
func (c *execConn) RemoteAddr() net.Addr { return pipeAddr{network: "docker-exec", desc: c.what} }

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
