package gateway

import (
	"net/http"
	"net/url"
	"testing"
)

func TestStickyID(t *testing.T) {
	cases := []struct {
		name, path string
		cookies    []string
		want       string
	}{
		{"none", "/app/x", nil, ""},
		{"path param", "/app/x;jsessionid=ABC.t1", nil, "ABC.t1"},
		{"path param before query", "/app/x;jsessionid=ABC.t2;other=1", nil, "ABC.t2"},
		{"path param wins over cookie", "/app/x;jsessionid=P.t1", []string{"JSESSIONID=C.t2"}, "P.t1"},
		{"cookie", "/app/x", []string{"a=1; JSESSIONID=C.t2; b=2"}, "C.t2"},
		{"quoted cookie", "/app/x", []string{`JSESSIONID="Q.t3"`}, "Q.t3"},
		{"empty cookie skipped", "/app/x", []string{"JSESSIONID=; JSESSIONID=D.t4"}, "D.t4"},
		{"second header", "/app/x", []string{"x=1", "JSESSIONID=E.t5"}, "E.t5"},
		{"name is case sensitive", "/app/x", []string{"jsessionid=F.t6"}, ""},
		{"similar name", "/app/x", []string{"XJSESSIONID=G.t7"}, ""},
		{"param case insensitive", "/app/x;JSESSIONID=H.t8", nil, "H.t8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &http.Request{URL: &url.URL{Path: c.path}, Header: http.Header{"Cookie": c.cookies}}
			if got := stickyID(r, "JSESSIONID", "jsessionid"); got != c.want {
				t.Fatalf("stickyID = %q, want %q", got, c.want)
			}
		})
	}
	if got := routeOf("ABC.t1.x"); got != "t1.x" {
		t.Fatalf("routeOf = %q, want the part after the first dot", got)
	}
	if got := routeOf("ABC"); got != "" {
		t.Fatalf("routeOf without a dot = %q", got)
	}
}

func TestSetCookieSession(t *testing.T) {
	cases := []struct {
		line    string
		id      string
		deleted bool
	}{
		{"JSESSIONID=ABC.t1; Path=/app; HttpOnly", "ABC.t1", false},
		{"JSESSIONID=; Max-Age=0", "", true},
		{"JSESSIONID=ABC.t1; Max-Age=0; Path=/", "ABC.t1", true},
		{"OTHER=1", "", false},
	}
	for _, c := range cases {
		id, del := setCookieSession(c.line, "JSESSIONID")
		if id != c.id || del != c.deleted {
			t.Errorf("%q: got (%q, %v), want (%q, %v)", c.line, id, del, c.id, c.deleted)
		}
	}
}

func TestStickyAllocatesNothing(t *testing.T) {
	r := &http.Request{URL: &url.URL{Path: "/app/x"}, Header: http.Header{"Cookie": {"a=1; JSESSIONID=C.t2; b=2"}}}
	if n := testing.AllocsPerRun(100, func() { _ = routeOf(stickyID(r, "JSESSIONID", "jsessionid")) }); n != 0 {
		t.Fatalf("sticky parse allocates %v times", n)
	}
}
