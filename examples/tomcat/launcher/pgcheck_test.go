package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestPGTargetOf(t *testing.T) {
	got, err := pgTargetOf("jdbc:postgresql://db/sessions", "tomcat")
	if err != nil || got != (pgTarget{addr: "db:5432", database: "sessions", user: "tomcat"}) {
		t.Errorf("got %+v, %v; want db:5432 sessions tomcat", got, err)
	}
	if got, _ := pgTargetOf("jdbc:postgresql://10.0.0.5:6432/s", "u"); got.addr != "10.0.0.5:6432" {
		t.Errorf("addr %q, want the given port kept", got.addr)
	}
	for _, bad := range []string{"", "postgresql://db/s", "jdbc:mysql://db/s", "jdbc:postgresql://db/"} {
		if _, err := pgTargetOf(bad, "u"); err == nil || !strings.Contains(err.Error(), "SESSION_DB_URL") {
			t.Errorf("pgTargetOf(%q): err %v; want SESSION_DB_URL refused", bad, err)
		}
	}
	if _, err := pgTargetOf("jdbc:postgresql://db/s", ""); err == nil || !strings.Contains(err.Error(), "SESSION_DB_USER") {
		t.Errorf("no user: err %v", err)
	}
}

// fakePG answers the first startup message it reads with answer, after checking it names the user.
func fakePG(t *testing.T, answer []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var n uint32
		if binary.Read(c, binary.BigEndian, &n) != nil {
			return
		}
		msg := make([]byte, n-4)
		if _, err := io.ReadFull(c, msg); err != nil || !bytes.Contains(msg, []byte("user\x00tomcat\x00")) {
			return
		}
		c.Write(answer)
	}()
	return ln.Addr().String()
}

func pgMessage(kind byte, body string) []byte {
	m := []byte{kind, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(m[1:], uint32(4+len(body)))
	return append(m, body...)
}

func TestPGStartup(t *testing.T) {
	target := func(addr string) pgTarget { return pgTarget{addr: addr, database: "sessions", user: "tomcat"} }
	if err := pgStartup(target(fakePG(t, pgMessage('R', "\x00\x00\x00\x05salt"))), time.Second); err != nil {
		t.Errorf("a password request: %v; want the server counted as up", err)
	}
	ready := append(pgMessage('R', "\x00\x00\x00\x00"), append(pgMessage('S', "a\x00b\x00"), pgMessage('Z', "I")...)...)
	if err := pgStartup(target(fakePG(t, ready)), time.Second); err != nil {
		t.Errorf("trust auth then ready for query: %v", err)
	}
	late := append(pgMessage('R', "\x00\x00\x00\x00"), pgMessage('E', "Mrole \"tomcat\" does not exist\x00\x00")...)
	if err := pgStartup(target(fakePG(t, late)), time.Second); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("auth ok then an error: %v; want the error", err)
	}
	err := pgStartup(target(fakePG(t, pgMessage('E', "SFATAL\x00C3D000\x00Mdatabase \"sessions\" does not exist\x00\x00"))), time.Second)
	if err == nil || !strings.Contains(err.Error(), `database "sessions" does not exist`) {
		t.Errorf("an error response: %v; want its message", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	if err := pgStartup(target(closed), time.Second); err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Errorf("nothing listening: %v; want not reachable", err)
	}
	if err := pgStartup(target(fakePG(t, []byte("HTTP/1.1 400 Bad Request\r\n\r\n"))), time.Second); err == nil {
		t.Error("an HTTP server passed as PostgreSQL")
	}
}
