// Package pgwire speaks the little of PostgreSQL's frontend/backend protocol
// (version 3.0) that the example images need without a driver: the startup
// exchange, to tell whether a server is up and knows a database and a user
// (the Tomcat launcher's check-store), and simple queries over a trusted
// connection, to create the session store's role, database and table (the
// PostgreSQL launcher's first start). Nothing here authenticates with a
// password: a server that asks for one is reported as such.
package pgwire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

// ErrPasswordRequested means the server asked for a password: it is up and
// reached the user's authentication, which this package does not do.
var ErrPasswordRequested = errors.New("the server asks for a password")

// maxMessage bounds a backend message's body; the startup and the statements
// of the example images get answers far smaller.
const maxMessage = 1 << 20

// Error is an ErrorResponse of the server.
type Error struct {
	Severity string // ERROR, FATAL, PANIC
	Code     string // the SQLSTATE, e.g. 3D000 (no such database), 57P03 (starting up)
	Message  string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "an error without a message"
	}
	return e.Message
}

// Conn is one session on a server that let its user in without a password.
type Conn struct {
	c net.Conn
	r *bufio.Reader
}

// Open runs the startup exchange on c (a TCP or Unix socket connection) for
// user and database until the server is ready for a query. A password request
// returns ErrPasswordRequested, an ErrorResponse an *Error; c is closed unless
// Open returns a Conn.
func Open(c net.Conn, user, database, application string) (*Conn, error) {
	pc := &Conn{c: c, r: bufio.NewReader(c)}
	if _, err := c.Write(StartupMessage(user, database, application)); err != nil {
		c.Close()
		return nil, fmt.Errorf("sending the startup message: %w", err)
	}
	for {
		kind, body, err := ReadMessage(pc.r)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("during startup: %w", err)
		}
		switch kind {
		case 'Z':
			return pc, nil // ReadyForQuery
		case 'R':
			if len(body) < 4 {
				c.Close()
				return nil, errors.New("during startup: a malformed authentication request")
			}
			if binary.BigEndian.Uint32(body) != 0 { // not AuthenticationOk
				c.Close()
				return nil, ErrPasswordRequested
			}
		case 'E':
			c.Close()
			return nil, ParseError(body)
		case 'S', 'K', 'N':
			// ParameterStatus, BackendKeyData, NoticeResponse: read on.
		default:
			c.Close()
			return nil, fmt.Errorf("answered %q to the startup message: not PostgreSQL", kind)
		}
	}
}

// Exec runs one simple query and returns how many rows it gave back. An
// ErrorResponse is returned as an *Error once the server is ready again, so
// the Conn stays usable.
func (pc *Conn) Exec(sql string) (rows int, err error) {
	if _, err := pc.c.Write(QueryMessage(sql)); err != nil {
		return 0, fmt.Errorf("sending a query: %w", err)
	}
	var qerr error
	for {
		kind, body, err := ReadMessage(pc.r)
		if err != nil {
			return rows, fmt.Errorf("reading the answer to a query: %w", err)
		}
		switch kind {
		case 'Z':
			return rows, qerr
		case 'D':
			rows++
		case 'E':
			qerr = ParseError(body)
		}
		// RowDescription, CommandComplete, EmptyQueryResponse, NoticeResponse,
		// ParameterStatus: nothing to keep.
	}
}

// Close ends the session with a Terminate message and closes the connection.
func (pc *Conn) Close() error {
	_, werr := pc.c.Write([]byte{'X', 0, 0, 0, 4})
	return errors.Join(werr, pc.c.Close())
}

// StartupMessage is a protocol 3.0 StartupMessage for user and database.
func StartupMessage(user, database, application string) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0, 0, 0, 3, 0, 0}) // length, filled in below; protocol 3.0
	for _, s := range []string{"user", user, "database", database, "application_name", application} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	b.WriteByte(0)
	msg := b.Bytes()
	binary.BigEndian.PutUint32(msg, uint32(len(msg)))
	return msg
}

// QueryMessage is a simple Query message.
func QueryMessage(sql string) []byte {
	msg := make([]byte, 5, 6+len(sql))
	msg[0] = 'Q'
	binary.BigEndian.PutUint32(msg[1:], uint32(4+len(sql)+1))
	msg = append(msg, sql...)
	return append(msg, 0)
}

// ReadMessage reads one backend message: its type byte and its body.
func ReadMessage(r *bufio.Reader) (byte, []byte, error) {
	kind, err := r.ReadByte()
	if err != nil {
		return 0, nil, fmt.Errorf("the connection closed: %w", err)
	}
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil || n < 4 || n-4 > maxMessage {
		return 0, nil, errors.New("a malformed message")
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, fmt.Errorf("reading a message: %w", err)
	}
	return kind, body, nil
}

// ParseError reads the fields of an ErrorResponse body.
func ParseError(body []byte) *Error {
	e := &Error{}
	for _, f := range bytes.Split(body, []byte{0}) {
		if len(f) < 2 {
			continue
		}
		switch v := string(f[1:]); f[0] {
		case 'S':
			e.Severity = v
		case 'C':
			e.Code = v
		case 'M':
			e.Message = v
		}
	}
	return e
}
