package ajp

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSendHeadersCaptured(t *testing.T) {
	pkt := mustHex(t, captureSendHeaders200)
	want := SendHeaders{Status: 200, Reason: "200", Headers: []Header{
		{"Content-Type", "text/plain;charset=UTF-8"}, {"Content-Length", "743"},
	}}
	got, err := ParseSendHeaders(pkt[HeaderSize:])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("decoded %+v, want %+v", *got, want)
	}
	enc, err := want.AppendPacket(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, pkt) {
		t.Errorf("encoded\n got %x\nwant %x", enc, pkt)
	}
}

func TestSendHeadersEncoding(t *testing.T) {
	// 405 from the PURGE capture (string header name first) and repeated Set-Cookie.
	for _, tc := range []struct {
		name string
		msg  SendHeaders
		hex  string
	}{{
		name: "string and coded names",
		msg:  SendHeaders{Status: 405, Reason: "405", Headers: []Header{{"Allow", "GET"}, {"Content-Language", "en"}}},
		hex:  "4142 0020 04 0195 0003 343035 00 0002" + "0005 416c6c6f77 00 0003 474554 00" + "a002 0002 656e 00",
	}, {
		name: "repeated Set-Cookie",
		msg:  SendHeaders{Status: 200, Reason: "OK", Headers: []Header{{"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}}},
		hex:  "4142 001a 04 00c8 0002 4f4b 00 0002" + "a007 0003 613d31 00" + "a007 0003 623d32 00",
	}, {
		name: "no headers",
		msg:  SendHeaders{Status: 204, Reason: "204"},
		hex:  "4142 000b 04 00cc 0003 323034 00 0000",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			want := mustHex(t, tc.hex)
			got, err := tc.msg.AppendPacket(nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encoded\n got %x\nwant %x", got, want)
			}
			back, err := ParseSendHeaders(want[HeaderSize:])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*back, tc.msg) {
				t.Errorf("decoded %+v, want %+v", *back, tc.msg)
			}
		})
	}
}

func TestSendHeadersErrors(t *testing.T) {
	good := mustHex(t, captureSendHeaders200)[HeaderSize:]
	for _, tc := range []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"wrong type", append([]byte{3}, good[1:]...)},
		{"truncated", good[:len(good)-2]},
		{"unknown header code", replaceOnce(good, []byte{0xa0, 0x03}, []byte{0xa0, 0x0c})},
		{"lying header count", []byte{4, 0, 200, 0, 0, 0, 0xff, 0xff}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseSendHeaders(tc.payload); !errors.Is(err, ErrProtocol) {
				t.Errorf("err %v, want ErrProtocol", err)
			}
		})
	}
	big := SendHeaders{Status: 200, Headers: []Header{{"X", strings.Repeat("x", DefaultPacketSize)}}}
	if _, err := big.AppendPacket(nil, 0); !errors.Is(err, ErrHeadersTooLarge) {
		t.Errorf("oversize SEND_HEADERS: err %v", err)
	}
}

func TestSmallMessages(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []byte
		hex  string
	}{
		{"CPING", AppendCPing(nil), "1234 0001 0a"},
		{"CPONG", AppendCPong(nil), "4142 0001 09"},
		{"END_RESPONSE reuse", AppendEndResponse(nil, true), "4142 0002 05 01"},
		{"END_RESPONSE close", AppendEndResponse(nil, false), "4142 0002 05 00"},
		{"GET_BODY_CHUNK 8186", AppendGetBodyChunk(nil, 8186), "4142 0003 06 1ffa"},
		{"body chunk", AppendBodyChunk(nil, []byte("hi")), "4142 0006 03 0002 6869 00"},
		{"flush", AppendBodyChunk(nil, nil), "4142 0004 03 0000 00"},
		{"request body", AppendRequestBody(nil, []byte("hello world")), "1234 000d 000b 68656c6c6f20776f726c64"},
		{"end of request body", AppendRequestBody(nil, nil), "1234 0000"},
		{"raw packet", AppendPacket(nil, MagicFromContainer, []byte{9}), "4142 0001 09"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if want := mustHex(t, tc.hex); !bytes.Equal(tc.got, want) {
				t.Errorf("got %x, want %x", tc.got, want)
			}
		})
	}
}

func TestSmallMessageParsing(t *testing.T) {
	data, err := ParseBodyChunk(mustHex(t, "03 0002 6869 00"))
	if err != nil || string(data) != "hi" {
		t.Errorf("body chunk: %q %v", data, err)
	}
	// mod_jk accepts a chunk without the trailing NUL, and ignores extra bytes.
	if data, err := ParseBodyChunk(mustHex(t, "03 0002 6869")); err != nil || string(data) != "hi" {
		t.Errorf("body chunk without NUL: %q %v", data, err)
	}
	if data, err := ParseBodyChunk(mustHex(t, "03 0000 00")); err != nil || len(data) != 0 {
		t.Errorf("flush: %q %v", data, err)
	}
	for _, bad := range []string{"03 0004 6869 00", "03 00", "04 0000 00"} {
		if _, err := ParseBodyChunk(mustHex(t, bad)); !errors.Is(err, ErrProtocol) {
			t.Errorf("body chunk %s: err %v", bad, err)
		}
	}
	for _, tc := range []struct {
		hex   string
		reuse bool
	}{{"05 01", true}, {"05 00", false}, {"05 02", false}, {"05 01 00", true}} {
		reuse, err := ParseEndResponse(mustHex(t, tc.hex))
		if err != nil || reuse != tc.reuse {
			t.Errorf("END_RESPONSE %s: %v %v, want %v", tc.hex, reuse, err, tc.reuse)
		}
	}
	if _, err := ParseEndResponse([]byte{5}); !errors.Is(err, ErrProtocol) {
		t.Errorf("END_RESPONSE without reuse byte: %v", err)
	}
	if n, err := ParseGetBodyChunk(mustHex(t, "06 1ffa")); err != nil || n != 8186 {
		t.Errorf("GET_BODY_CHUNK: %d %v", n, err)
	}
	if _, err := ParseGetBodyChunk([]byte{6, 0}); !errors.Is(err, ErrProtocol) {
		t.Errorf("short GET_BODY_CHUNK: %v", err)
	}
	for _, tc := range []struct {
		hex  string
		want string
	}{{"000b 68656c6c6f20776f726c64", "hello world"}, {"", ""}, {"0000", ""}, {"0002 6869 ff", "hi"}} {
		data, err := ParseRequestBody(mustHex(t, tc.hex))
		if err != nil || string(data) != tc.want {
			t.Errorf("request body %q: %q %v", tc.hex, data, err)
		}
	}
	for _, bad := range []string{"00", "0003 6869"} {
		if _, err := ParseRequestBody(mustHex(t, bad)); !errors.Is(err, ErrProtocol) {
			t.Errorf("request body %s: %v", bad, err)
		}
	}
}

func TestPacketReader(t *testing.T) {
	stream := append(mustHex(t, captureSendHeaders200), mustHex(t, "4142 0001 09 4142 0000 4142 0002 0501")...)
	r := NewPacketReader(bytes.NewReader(stream), MagicFromContainer, 0)
	var types []string
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			types = append(types, "empty")
			continue
		}
		types = append(types, MessageType(p[0]).String())
	}
	if want := []string{"SEND_HEADERS", "CPONG", "empty", "END_RESPONSE"}; !reflect.DeepEqual(types, want) {
		t.Errorf("read %v, want %v", types, want)
	}

	full := make([]byte, DefaultPacketSize)
	copy(full, mustHex(t, "4142 1ffc"))
	for _, tc := range []struct {
		name    string
		stream  []byte
		wantErr error
	}{
		{"a packet of exactly the packet size", full, nil},
		{"one byte too long", mustHex(t, "4142 1ffd"), ErrProtocol},
		{"the longest length", mustHex(t, "4142 ffff"), ErrProtocol},
		{"wrong magic", mustHex(t, "1234 0001 0a"), ErrProtocol},
		{"truncated header", mustHex(t, "41"), ErrProtocol},
		{"truncated payload", mustHex(t, "4142 0005 0300"), io.ErrUnexpectedEOF},
		{"clean end", nil, io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewPacketReader(bytes.NewReader(tc.stream), MagicFromContainer, DefaultPacketSize)
			p, err := r.Next()
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && len(p) != DefaultPacketSize-HeaderSize) {
				t.Errorf("len %d, err %v; want %v", len(p), err, tc.wantErr)
			}
		})
	}
}

func TestMessageTypeString(t *testing.T) {
	if s := TypeCPing.String(); s != "CPING" {
		t.Errorf("CPING is %q", s)
	}
	if s := MessageType(42).String(); s != "type 42" {
		t.Errorf("unknown type is %q", s)
	}
}

// A stream that arrives a byte at a time, with small packets and packets of the whole packet size
// mixed, reads back packet for packet; the buffer grows only as a packet needs it.
func TestPacketReaderGrowsForLargePackets(t *testing.T) {
	var stream []byte
	var want [][]byte
	for i, size := range []int{1, 300, DefaultPacketSize - HeaderSize, 2, 1020, 1021, DefaultPacketSize - HeaderSize, 5} {
		payload := bytes.Repeat([]byte{byte(i + 1)}, size)
		want = append(want, payload)
		stream = AppendPacket(stream, MagicFromContainer, payload)
	}
	r := NewPacketReader(iotest.OneByteReader(bytes.NewReader(stream)), MagicFromContainer, 0)
	if len(r.buf) != smallReadBuffer {
		t.Fatalf("a new reader holds %d bytes, want %d", len(r.buf), smallReadBuffer)
	}
	for i, w := range want {
		p, err := r.Next()
		if err != nil || !bytes.Equal(p, w) {
			t.Fatalf("packet %d: %d bytes %v, want %d bytes", i, len(p), err, len(w))
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last packet: %v, want io.EOF", err)
	}
}

// A read error that comes with the end of a packet is returned only when the next one needs it,
// and a deadline that cut a packet short leaves its bytes for the next Next.
func TestPacketReaderErrors(t *testing.T) {
	end := AppendEndResponse(nil, true)
	r := NewPacketReader(iotest.DataErrReader(bytes.NewReader(end)), MagicFromContainer, 0)
	if p, err := r.Next(); err != nil || len(p) != 2 {
		t.Fatalf("packet with the error: % x %v", p, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("then: %v, want io.EOF", err)
	}

	timeout := errors.New("timeout")
	r = NewPacketReader(&stepReader{steps: [][]byte{end[:3], nil, end[3:]}, err: timeout}, MagicFromContainer, 0)
	if _, err := r.Next(); err != timeout {
		t.Fatalf("cut short: %v, want the read error as it is", err)
	}
	if p, err := r.Next(); err != nil || len(p) != 2 {
		t.Fatalf("after the error: % x %v, want the packet", p, err)
	}
}

// stepReader returns its steps one per Read; a nil step returns err.
type stepReader struct {
	steps [][]byte
	err   error
}

func (s *stepReader) Read(p []byte) (int, error) {
	if len(s.steps) == 0 {
		return 0, io.EOF
	}
	step := s.steps[0]
	s.steps = s.steps[1:]
	if step == nil {
		return 0, s.err
	}
	return copy(p, step), nil
}
