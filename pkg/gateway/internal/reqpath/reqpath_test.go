package reqpath

import (
	"errors"
	"strings"
	"testing"
)

// normalizeCases is the table of TestNormalize and the seed corpus of FuzzNormalize. A case with
// err set expects an error wrapping it; otherwise it expects want. A case marked escape is a way
// out of the /app mount (the CVE-2018-11759 class): see TestNormalizeLeavesMount.
var normalizeCases = []struct {
	in, want string
	err      error
	escape   bool
}{
	// Already normal: returned as they came.
	{in: "/", want: "/"},
	{in: "/app", want: "/app"},
	{in: "/app/", want: "/app/"},
	{in: "/app/nosession.jsp", want: "/app/nosession.jsp"},
	{in: "/app;jsessionid=A.t1/x", want: "/app;jsessionid=A.t1/x"},
	{in: "/app/x;jsessionid=A.t1", want: "/app/x;jsessionid=A.t1"},
	{in: "/app/;jsessionid=A.t1", want: "/app/;jsessionid=A.t1"},
	{in: "/app/x;a=1;b=2/y", want: "/app/x;a=1;b=2/y"},
	{in: "/app/...", want: "/app/..."},
	{in: "/app/.../x", want: "/app/.../x"},
	{in: "/app/..x/.x/x./x..", want: "/app/..x/.x/x./x.."},
	{in: "/app/%C3%A9", want: "/app/%C3%A9"},
	{in: "/app/%20%25%3F", want: "/app/%20%25%3F"},
	{in: "/app/a|b^c[d]", want: "/app/a|b^c[d]"},
	{in: "/app/..%3B/x", want: "/app/..%3B/x"}, // an encoded ';' does not end the name

	// Percent-escapes: unreserved decoded, the others in upper case; parameters as they came.
	{in: "/app/%7euser", want: "/app/~user"},
	{in: "/app/%41", want: "/app/A"},
	{in: "/app/%2d%5F%7E%30%7a", want: "/app/-_~0z"},
	{in: "/%61pp/x", want: "/app/x"},
	{in: "/app/%c3%a9", want: "/app/%C3%A9"},
	{in: "/app/%2a%3b", want: "/app/%2A%3B"},
	{in: "/app/x;p=%2e%2E%c3", want: "/app/x;p=%2e%2E%c3"},

	// Dot segments and runs of '/'.
	{in: "/app/./info.jsp", want: "/app/info.jsp"},
	{in: "/app/x/../info.jsp", want: "/app/info.jsp"},
	{in: "/app/%2e/info.jsp", want: "/app/info.jsp"},
	{in: "/app/.;x/info.jsp", want: "/app/info.jsp"},
	{in: "/app//info.jsp", want: "/app/info.jsp"},
	{in: "//app///info.jsp", want: "/app/info.jsp"},
	{in: "/app//", want: "/app/"},
	{in: "//", want: "/"},
	{in: "/.", want: "/"},
	{in: "/./", want: "/"},
	{in: "/app/.", want: "/app/"},
	{in: "/app/..", want: "/"},
	{in: "/app/x/..", want: "/app/"},
	{in: "/app/x/..;p", want: "/app/"},
	{in: "/app/x/%2E%2e", want: "/app/"},
	{in: "/app/;x/.", want: "/app/;x/"},
	{in: "/app/a%3bb/../x", want: "/app/x"},
	{in: "/app/x/y/../../z", want: "/app/z"},

	// Ways out of the /app mount: each lands outside it.
	{in: "/app/../other/", want: "/other/", escape: true},
	{in: "/app/..;/other/", want: "/other/", escape: true},
	{in: "/app/%2e%2e/other/", want: "/other/", escape: true},
	{in: "/app/%2E%2E/other/", want: "/other/", escape: true},
	{in: "/app/.%2e/other/", want: "/other/", escape: true},
	{in: "/app/%2e./other/", want: "/other/", escape: true},
	{in: "/app;x/../other/", want: "/other/", escape: true},
	{in: "/app/x/../../other/", want: "/other/", escape: true},
	{in: "/app//../other/", want: "/other/", escape: true},
	{in: "/app/;x/../other/", want: "/other/", escape: true},
	{in: "/app/..;jsessionid=A.t1/other", want: "/other", escape: true},
	{in: "/app/./../other", want: "/other", escape: true},
	{in: "/app/..", want: "/", escape: true},

	// Refused.
	{in: "", err: ErrNotAbsolute},
	{in: "app/x", err: ErrNotAbsolute},
	{in: "*", err: ErrNotAbsolute},
	{in: "http://example.com/app", err: ErrNotAbsolute},
	{in: "/app/%", err: ErrMalformed},
	{in: "/app/%4", err: ErrMalformed},
	{in: "/app/%4/x", err: ErrMalformed},
	{in: "/app/%zz", err: ErrMalformed},
	{in: "/app/%4g", err: ErrMalformed},
	{in: "/app/%%41", err: ErrMalformed},
	{in: "/app/x;p=%zz", err: ErrMalformed},
	{in: "/app/..;%zz/x", err: ErrMalformed, escape: true}, // a removed part is checked too
	{in: "/app/a%2fb", err: ErrEncodedSlash},
	{in: "/app/a%2Fb", err: ErrEncodedSlash},
	{in: "/app/a%5cb", err: ErrEncodedSlash},
	{in: "/app/a%5Cb", err: ErrEncodedSlash},
	{in: "/app/%2e%2e%2fx", err: ErrEncodedSlash, escape: true},
	{in: "/app/..%2f..%2fother", err: ErrEncodedSlash, escape: true},
	{in: "/app/x;p=%2F", err: ErrEncodedSlash},
	{in: "/app/%00", err: ErrNUL},
	{in: "/app/x;%00", err: ErrNUL},
	{in: "/app/a\\b", err: ErrRawByte},
	{in: "/app/..\\other", err: ErrRawByte, escape: true},
	{in: "/app/a b", err: ErrRawByte},
	{in: "/app/a\tb", err: ErrRawByte},
	{in: "/app/\x00", err: ErrRawByte},
	{in: "/app/\r\nX-Injected: 1", err: ErrRawByte},
	{in: "/app/\x7f", err: ErrRawByte},
	{in: "/app/\xc3\xa9", err: ErrRawByte},
	{in: "/app/x;p=\xff", err: ErrRawByte},
	{in: "/..", err: ErrTraversal},
	{in: "/../", err: ErrTraversal},
	{in: "/%2e%2e/app", err: ErrTraversal},
	{in: "/..;x/app", err: ErrTraversal},
	{in: "/app/../../etc/passwd", err: ErrTraversal, escape: true},
	{in: "/app//..//..", err: ErrTraversal, escape: true},
	{in: "/;x/..", err: ErrTraversal},
}

func TestNormalize(t *testing.T) {
	for _, tc := range normalizeCases {
		got, err := Normalize(tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Normalize(%q) = %q, %v; want an error wrapping %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestNormalizeLeavesMount checks every way out of /app in the table: it is refused, or its
// result is not under /app, so the gateway routes it away from the /app backend.
func TestNormalizeLeavesMount(t *testing.T) {
	for _, tc := range normalizeCases {
		if !tc.escape {
			continue
		}
		got, err := Normalize(tc.in)
		if err == nil && underPrefix(got, "/app") {
			t.Errorf("Normalize(%q) = %q, still under /app", tc.in, got)
		}
	}
}

func TestNormalizeErrorNamesTheBytes(t *testing.T) {
	for in, want := range map[string]string{
		"/app/a%2fb":           `encoded slash or backslash in request path: "%2f" at byte 6`,
		"/app/%zz;p=%2F":       `malformed percent-escape in request path: "%zz" at byte 5`,
		"/app/x;p=%2F":         `encoded slash or backslash in request path: "%2F" at byte 9`,
		"/app/../../x":         `request path climbs above the root: ".." at byte 8`,
		"/a%":                  `malformed percent-escape in request path: "%" at byte 2`,
		"http://example.com/a": `request path does not start with '/': "http://example.c" at byte 0`,
	} {
		if _, err := Normalize(in); err == nil || err.Error() != want {
			t.Errorf("Normalize(%q) error = %v; want %s", in, err, want)
		}
	}
}

// TestNormalizeNoAllocation holds the hot path to its promise: a normal path, or one whose normal
// form is a prefix of it, costs no allocation.
func TestNormalizeNoAllocation(t *testing.T) {
	for _, in := range []string{"/app/nosession.jsp", "/app;jsessionid=A.t1/x.jsp", "/app/x/.."} {
		if n := testing.AllocsPerRun(100, func() { _, _ = Normalize(in) }); n != 0 {
			t.Errorf("Normalize(%q) allocates %v times; want 0", in, n)
		}
	}
}

// underPrefix is the gateway's prefix match (prefixMatches in pkg/gateway/routes.go): "/app"
// matches "/app", "/app/…" and "/app;…", never "/apple".
func underPrefix(path, prefix string) bool {
	if prefix == "/" {
		return true
	}
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || path[len(prefix)] == '/' || path[len(prefix)] == ';'
}
