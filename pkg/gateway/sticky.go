package gateway

import (
	"net/http"
	"strings"
)

// stickyID finds the session id of a request the way mod_jk does: the path parameter
// first (";jsessionid=ID" up to the next '?', ';' or '/'), then every cookie of that name
// in every Cookie header, the first non-empty one winning. The result aliases the
// request's own strings, so the hot path allocates nothing.
func stickyID(r *http.Request, cookieName, pathParam string) string {
	if id := pathParamValue(r.URL.Path, pathParam); id != "" {
		return id
	}
	for _, line := range r.Header["Cookie"] {
		if id := cookieValue(line, cookieName); id != "" {
			return id
		}
	}
	return ""
}

// routeOf returns the part of a session id after its first '.', Tomcat's jvmRoute.
func routeOf(id string) string {
	if i := strings.IndexByte(id, '.'); i >= 0 {
		return id[i+1:]
	}
	return ""
}

// pathParamValue returns the value of ";name=" in path, matched case-insensitively as
// servlet containers do for jsessionid.
func pathParamValue(path, name string) string {
	for {
		i := strings.IndexByte(path, ';')
		if i < 0 {
			return ""
		}
		path = path[i+1:]
		if len(path) > len(name) && path[len(name)] == '=' && strings.EqualFold(path[:len(name)], name) {
			v := path[len(name)+1:]
			if end := strings.IndexAny(v, "?;/"); end >= 0 {
				v = v[:end]
			}
			if v != "" {
				return v
			}
		}
	}
}

// cookieValue returns the first non-empty value of cookie name in one Cookie header line,
// unquoted. Cookie names are case-sensitive.
func cookieValue(line, name string) string {
	for line != "" {
		var part string
		part, line, _ = strings.Cut(line, ";")
		part = strings.TrimLeft(part, " \t")
		if len(part) <= len(name) || part[len(name)] != '=' || part[:len(name)] != name {
			continue
		}
		v := strings.TrimRight(part[len(name)+1:], " \t")
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		if v != "" {
			return v
		}
	}
	return ""
}

// setCookieSession reads a session id out of one Set-Cookie header. deleted reports a
// cookie that removes the session (empty value or Max-Age<=0).
func setCookieSession(line, name string) (id string, deleted bool) {
	if len(line) <= len(name) || line[len(name)] != '=' || line[:len(name)] != name {
		return "", false
	}
	v, attrs, _ := strings.Cut(line[len(name)+1:], ";")
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if v == "" {
		return "", true
	}
	for attrs != "" {
		var a string
		a, attrs, _ = strings.Cut(attrs, ";")
		a = strings.TrimSpace(a)
		if len(a) > 8 && strings.EqualFold(a[:8], "max-age=") {
			if a[8] == '-' || a[8:] == "0" {
				return v, true
			}
		}
	}
	return v, false
}
