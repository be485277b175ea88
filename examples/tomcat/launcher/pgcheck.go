package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/rollcd/roll/examples/pgwire"
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

// pgStartup does what pg_isready does, and a little more: it connects, runs
// the startup exchange and passes when the server is ready for a query (trust
// auth) or asks for a password (the server is up and knows the user well
// enough to ask; Tomcat's pool has the password, this check does not); an
// error message (no such database or role) is returned as the reason.
func pgStartup(t pgTarget, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", t.addr, timeout)
	if err != nil {
		return fmt.Errorf("session database %s is not reachable: %w", t.addr, err)
	}
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		conn.Close()
		return fmt.Errorf("session database %s: %w", t.addr, err)
	}
	c, err := pgwire.Open(conn, t.user, t.database, "roll-check-store")
	var pe *pgwire.Error
	switch {
	case err == nil:
		return c.Close()
	case errors.Is(err, pgwire.ErrPasswordRequested):
		return nil
	case errors.As(err, &pe):
		return fmt.Errorf("session database %s refused %s on %s: %w", t.addr, t.user, t.database, err)
	default:
		return fmt.Errorf("session database %s: %w", t.addr, err)
	}
}
