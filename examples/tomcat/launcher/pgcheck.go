package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
)

// pgTarget is where SESSION_DB_URL (jdbc:postgresql://host[:port]/db) points.
type pgTarget struct {
	addr, database, user string
}

func pgTargetOf(jdbcURL, user string) (pgTarget, error) {
	rest, ok := strings.CutPrefix(jdbcURL, "jdbc:")
	u, err := url.Parse(rest)
	if !ok || err != nil || u.Scheme != "postgresql" || u.Host == "" || len(u.Path) < 2 {
		return pgTarget{}, fmt.Errorf("SESSION_DB_URL %q is not jdbc:postgresql://host[:port]/database", jdbcURL)
	}
	if user == "" {
		return pgTarget{}, fmt.Errorf("SESSION_DB_USER is empty: the session database needs a user")
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "5432")
	}
	return pgTarget{addr: addr, database: u.Path[1:], user: user}, nil
}

// pgStartup does what pg_isready does, and a little more: it connects, sends
// a protocol 3.0 startup message and reads the answers until the server is
// ready for a query (trust auth) or asks for a password (the server is up);
// an error message (no such database or role) is returned as the reason.
func pgStartup(t pgTarget, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", t.addr, timeout)
	if err != nil {
		return fmt.Errorf("session database %s is not reachable: %w", t.addr, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return fmt.Errorf("session database %s: %w", t.addr, err)
	}
	if _, err := conn.Write(startupMessage(t.user, t.database)); err != nil {
		return fmt.Errorf("session database %s: sending the startup message: %w", t.addr, err)
	}
	r := bufio.NewReader(conn)
	for {
		kind, body, err := readPGMessage(r)
		if err != nil {
			return fmt.Errorf("session database %s: %w", t.addr, err)
		}
		switch {
		case kind == 'Z':
			return nil // ReadyForQuery: the session could run a query
		case kind == 'R' && len(body) >= 4 && binary.BigEndian.Uint32(body) != 0:
			// A password request: the server is up and knows the user well
			// enough to ask; Tomcat's pool has the password, this check does not.
			return nil
		case kind == 'E':
			return fmt.Errorf("session database %s refused %s on %s: %s", t.addr, t.user, t.database, pgErrorText(body))
		case kind != 'R' && kind != 'S' && kind != 'K' && kind != 'N':
			return fmt.Errorf("session database %s: answered %q to the startup message, not PostgreSQL", t.addr, kind)
		}
		// AuthenticationOk, ParameterStatus, BackendKeyData, NoticeResponse: read on.
	}
}

// readPGMessage reads one backend message: its type byte and body.
func readPGMessage(r *bufio.Reader) (byte, []byte, error) {
	kind, err := r.ReadByte()
	if err != nil {
		return 0, nil, fmt.Errorf("the connection closed during startup: %w", err)
	}
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil || n < 4 || n > 1<<16 {
		return 0, nil, fmt.Errorf("a malformed answer to the startup message")
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, fmt.Errorf("reading its answer: %w", err)
	}
	return kind, body, nil
}

func startupMessage(user, database string) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0, 0, 0, 3, 0, 0}) // length, filled in below; protocol 3.0
	for _, s := range []string{"user", user, "database", database, "application_name", "roll-check-store"} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	b.WriteByte(0)
	msg := b.Bytes()
	binary.BigEndian.PutUint32(msg, uint32(len(msg)))
	return msg
}

// pgErrorText is the M (message) field of an ErrorResponse body.
func pgErrorText(body []byte) string {
	for _, f := range bytes.Split(body, []byte{0}) {
		if len(f) > 1 && f[0] == 'M' {
			return string(f[1:])
		}
	}
	return "an error without a message"
}
