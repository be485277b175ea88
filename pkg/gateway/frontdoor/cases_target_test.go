package frontdoor

// Methods, query strings and paths: what Tomcat sees of the request line.

var methodCases = []dcase{
	{"method GET", get("/app/info.jsp"), same},
	{"method HEAD", req("HEAD", "/app/info.jsp"), same},
	{"method POST without a body", req("POST", "/app/info.jsp", "Content-Length: 0"), same},
	{"method PUT", req("PUT", "/app/info.jsp", "Content-Length: 0"), same},
	{"method DELETE", req("DELETE", "/app/info.jsp"), same},
	{"method OPTIONS", req("OPTIONS", "/app/info.jsp"), same},
	{"method TRACE", req("TRACE", "/app/info.jsp", "Cookie: secret=1"),
		better("Apache answers TRACE itself, echoing the request with its cookies and credentials back (cross-site tracing); roll leaves it to Tomcat, which refuses it", status(405))},
	{"method PATCH", req("PATCH", "/app/info.jsp", "Content-Length: 0"), same},
	{"method PROPFIND, a WebDAV one", req("PROPFIND", "/app/info.jsp"), same},
	{"method unknown", req("FROBNICATE", "/app/info.jsp"), same},
	{"method in lower case", req("get", "/app/info.jsp"), same},
	{"method with a character outside tchar", req("G(ET", "/app/info.jsp"), rollDoes("400: not a method token", refused(400, 501))},
	{"method CONNECT", lines("CONNECT frontdoor.test:443 HTTP/1.1", "Host: frontdoor.test:443"), rollDoes("refused: no tunnels", refused(400, 404, 405, 501))},
	{"OPTIONS asterisk", lines("OPTIONS * HTTP/1.1", "Host: frontdoor.test"), same},
}

var queryCases = []dcase{
	{"query plain", get("/app/info.jsp?a=1&b=two"), same},
	{"query empty", get("/app/info.jsp?"), rollDoes("an empty query string reaches Tomcat empty, not absent", line("query_string", ""))},
	{"query of a question mark", get("/app/info.jsp??"), same},
	{"query percent-encoded", get("/app/info.jsp?q=%20%26%3D%2F"), same},
	{"query plus", get("/app/info.jsp?q=a+b"), same},
	{"query UTF-8 encoded", get("/app/info.jsp?q=%C3%A9t%C3%A9"), same},
	{"query bad escape", get("/app/info.jsp?q=%zz&r=1"), same},
	{"query repeated names", get("/app/info.jsp?a=1&a=2&a="), same},
	{"query dot segments are not a path", get("/app/info.jsp?next=/../../other/"), same},
	{"query semicolons", get("/app/info.jsp?a=1;b=2"), same},
	{"query long (4000 bytes)", get("/app/info.jsp?q=" + repeat("q", 4000)), same},
	{"query raw UTF-8 bytes", get("/app/info.jsp?q=\xc3\xa9"), same},
	{"fragment in the request target", get("/app/info.jsp?a=1#frag"), same},
	{"query with an encoded jsessionid", get("/app/info.jsp?jsessionid=x.tomcat1"), same},
}

// traversal is what roll must answer to a path that climbs out of the mount: 404 (the normalised path
// is outside every mount) or 400, and never a page of /other.
func traversal() expectation {
	return rollDoes("the normalised path is outside /app: 404 or 400, never /other", refused(404, 400), notReached())
}

// badPath is what roll must answer to a path it refuses outright.
func badPath(what string) expectation {
	return rollDoes("400: "+what, refused(400), notReached())
}

var pathCases = []dcase{
	{"path mount root without a slash", get("/app"), same},
	{"path mount root with a slash", get("/app/"), same},
	{"path trailing slash after a page", get("/app/info.jsp/"), same},
	{"path info decoded UTF-8", get("/app/info/caf%C3%A9"), same},
	{"path info encoded space", get("/app/info/a%20b"), same},
	{"path info plus stays a plus", get("/app/info/a+b"), same},
	{"path info encoded percent", get("/app/info/100%25"), same},
	{"path info encoded reserved characters", get("/app/info/%3B%3D%40%24"),
		better("mod_jk decodes %3B into ';', which Tomcat then takes for a path parameter, so the app sees another path than the client sent; roll keeps reserved characters encoded", line("request_uri", "/app/info/%3B%3D%40%24"))},
	{"path info raw UTF-8 bytes", get("/app/info/caf\xc3\xa9"), same},
	{"path encoded unreserved letter", get("/app/%69nfo.jsp"), same},
	{"path encoded unreserved tilde and dash", get("/app/info/%7Eu%2Dx"), same},
	{"path dot segment", get("/app/./info.jsp"), same},
	{"path dot-dot inside the mount", get("/app/x/../info.jsp"), same},
	{"path encoded dot segment", get("/app/%2e/info.jsp"), same},
	{"path encoded dot-dot inside the mount", get("/app/x/%2e%2e/info.jsp"), same},
	{"path double slash", get("/app//info.jsp"), same},
	{"path double slash after the page", get("/app/info//x"), same},
	{"path parameter jsessionid is kept", get("/app/info.jsp;jsessionid=ABC.tomcat1"), same},
	{"path parameter other is kept", get("/app/info/x;v=1/y"), same},
	{"path outside the mount", get("/other/"), same},
	{"path outside the mount, a page", get("/other/secret.jsp"), same},
	{"path prefix without a boundary", get("/apple"), same},
	{"path in other case", get("/APP/info.jsp"), same},
	{"path dot-dot out of the mount", get("/app/../other/"), traversal()},
	{"path dot-dot with a parameter", get("/app/..;/other/"), traversal()},
	{"path dot-dot with a parameter, to a page", get("/app/..;/other/secret.jsp"), traversal()},
	{"path encoded dot-dot", get("/app/%2e%2e/other/"), traversal()},
	{"path encoded dot-dot, upper case", get("/app/%2E%2E/other/secret.txt"), traversal()},
	{"path half-encoded dot-dot", get("/app/.%2e/other/"), traversal()},
	{"path half-encoded dot-dot, other half", get("/app/%2e./other/"), traversal()},
	{"path parameter on the mount, then dot-dot", get("/app;x/../other/"), traversal()},
	{"path two levels up", get("/app/x/../../other/"), traversal()},
	{"path double slash then dot-dot", get("/app//../other/"), traversal()},
	{"path dot-dot with an empty parameter", get("/app/..;/..;/other/"), traversal()},
	{"path dot-dot behind a jsessionid parameter", get("/app/..;jsessionid=x/other/"), traversal()},
	{"path overlong UTF-8 dots", get("/app/%c0%ae%c0%ae/other/"), rollDoes("never /other", notReached())},
	{"path above the root", get("/app/../../other/"), badPath("the path climbs above the root")},
	{"path above the root, encoded", get("/%2e%2e/app/info.jsp"), badPath("the path climbs above the root")},
	{"path encoded slash", get("/app/info/a%2Fb"), badPath("an encoded slash")},
	{"path encoded slash to climb", get("/app/..%2Fother/"), badPath("an encoded slash")},
	{"path encoded backslash", get("/app/info/a%5Cb"), badPath("an encoded backslash")},
	{"path encoded backslash to climb", get("/app/..%5Cother/"), badPath("an encoded backslash")},
	{"path raw backslash", get("/app/info/a\\b"), badPath("a backslash")},
	{"path raw backslash to climb", get("/app\\..\\other/"), badPath("a backslash")},
	{"path encoded NUL", get("/app/info/a%00b"), badPath("an encoded NUL")},
	{"path encoded NUL after a page", get("/app/info.jsp%00.txt"), badPath("an encoded NUL")},
	{"path raw control byte", get("/app/info/a\x01b"), badPath("a control byte")},
	{"path raw DEL", get("/app/info/a\x7fb"), badPath("a control byte")},
	{"path absolute-form", get("http://frontdoor.test/app/info.jsp"), same},
	{"path absolute-form with a port", get("http://frontdoor.test:8080/app/info.jsp?x=1"), same},
	{"path absolute-form traversal", get("http://frontdoor.test/app/../other/"), traversal()},
	{"path not starting with a slash", get("app/info.jsp"), rollDoes("400: not a request target", refused(400))},
}
