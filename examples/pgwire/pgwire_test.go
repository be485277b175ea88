package pgwire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

func TestMessagesOnTheWire(t *testing.T) {
	for _, c := range []struct {
		name string
		got  []byte
		want string
	}{
		{"startup", StartupMessage("tomcat", "sessions", "t"),
			"\x00\x00\x00\x3a\x00\x03\x00\x00user\x00tomcat\x00database\x00sessions\x00application_name\x00t\x00\x00"},
		{"query", QueryMessage("SELECT 1"), "Q\x00\x00\x00\x0dSELECT 1\x00"},
		{"empty query", QueryMessage(""), "Q\x00\x00\x00\x05\x00"},
	} {
		if string(c.got) != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestReadMessage(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("Z\x00\x00\x00\x05IC\x00\x00\x00\x0dSELECT 1\x00"))
	if kind, body, err := ReadMessage(r); err != nil || kind != 'Z' || string(body) != "I" {
		t.Errorf("first: %q %q %v", kind, body, err)
	}
	if kind, body, err := ReadMessage(r); err != nil || kind != 'C' || string(body) != "SELECT 1\x00" {
		t.Errorf("second: %q %q %v", kind, body, err)
	}
	if _, _, err := ReadMessage(r); err == nil {
		t.Error("read past the end")
	}
	for _, bad := range []string{"Z\x00\x00\x00\x03", "Z\x7f\x00\x00\x00", "Z\x00\x00\x00\x09abc"} {
		if _, _, err := ReadMessage(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("%q read as a message", bad)
		}
	}
}

func TestParseError(t *testing.T) {
	e := ParseError([]byte("SFATAL\x00VFATAL\x00C3D000\x00Mdatabase \"x\" does not exist\x00\x00"))
	if e.Severity != "FATAL" || e.Code != "3D000" || e.Error() != `database "x" does not exist` {
		t.Errorf("%+v", e)
	}
	if got := ParseError(nil).Error(); got != "an error without a message" {
		t.Errorf("empty: %q", got)
	}
}

func msg(kind byte, body string) string {
	n := len(body) + 4
	return string([]byte{kind, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}) + body
}

// fakeServer reads one message of the client for every answer and writes that answer.
func fakeServer(t *testing.T, answers ...string) net.Conn {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	go func() {
		r := bufio.NewReader(server)
		for i, a := range answers {
			if i == 0 { // the startup message has no type byte
				var n uint32
				if binary.Read(r, binary.BigEndian, &n) != nil {
					return
				}
				if _, err := io.ReadFull(r, make([]byte, n-4)); err != nil {
					return
				}
			} else if _, _, err := ReadMessage(r); err != nil {
				return
			}
			if _, err := server.Write([]byte(a)); err != nil {
				return
			}
		}
	}()
	return client
}

func TestOpen(t *testing.T) {
	ready := msg('R', "\x00\x00\x00\x00") + msg('S', "server_version\x0015\x00") + msg('K', "12345678") + msg('Z', "I")
	c, err := Open(fakeServer(t, ready), "tomcat", "sessions", "test")
	if err != nil {
		t.Fatalf("trust, then ready: %v", err)
	}
	c.c.Close()

	if _, err := Open(fakeServer(t, msg('R', "\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00")), "u", "d", "t"); !errors.Is(err, ErrPasswordRequested) {
		t.Errorf("a SASL request: %v, want ErrPasswordRequested", err)
	}
	_, err = Open(fakeServer(t, msg('E', "SFATAL\x00C57P03\x00Mthe database system is starting up\x00\x00")), "u", "d", "t")
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != "57P03" {
		t.Errorf("an error response: %v, want *Error 57P03", err)
	}
	if _, err := Open(fakeServer(t, "HTTP/1.1 400 Bad Request\r\n\r\n"), "u", "d", "t"); err == nil {
		t.Error("an HTTP server passed as PostgreSQL")
	}
}

func TestExec(t *testing.T) {
	ready := msg('R', "\x00\x00\x00\x00") + msg('Z', "I")
	rows := msg('T', "\x00\x01?column?\x00\x00\x00\x00\x00\x00\x00\x00\x00\x17\x00\x04\xff\xff\xff\xff\x00\x00") +
		msg('D', "\x00\x01\x00\x00\x00\x011") + msg('D', "\x00\x01\x00\x00\x00\x012") + msg('C', "SELECT 2\x00") + msg('Z', "I")
	failed := msg('E', "SERROR\x00C42P07\x00Mrelation \"t\" already exists\x00\x00") + msg('Z', "I")
	done := msg('C', "CREATE TABLE\x00") + msg('Z', "I")
	c, err := Open(fakeServer(t, ready, rows, failed, done), "u", "d", "t")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.Exec("SELECT 1 UNION SELECT 2"); n != 2 || err != nil {
		t.Errorf("rows: %d, %v; want 2", n, err)
	}
	var pe *Error
	if _, err := c.Exec("CREATE TABLE t ()"); !errors.As(err, &pe) || pe.Code != "42P07" {
		t.Errorf("a failed statement: %v, want *Error 42P07", err)
	}
	if n, err := c.Exec("CREATE TABLE u ()"); n != 0 || err != nil {
		t.Errorf("after an error the session goes on: %d, %v", n, err)
	}
}

func TestCloseSendsTerminate(t *testing.T) {
	client, server := net.Pipe()
	got := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 16)
		for {
			n, err := server.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				got <- b.Bytes()
				return
			}
		}
	}()
	if err := (&Conn{c: client, r: bufio.NewReader(client)}).Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "X\x00\x00\x00\x04" {
		t.Errorf("sent %q, want a Terminate message", b)
	}
}
