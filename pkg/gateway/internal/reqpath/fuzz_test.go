package reqpath

import (
	"net/url"
	"strings"
	"testing"
)

func FuzzNormalize(f *testing.F) {
	for _, tc := range normalizeCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Normalize(in)
		want, wantOK := referenceNormalize(in)
		if (err == nil) != wantOK || err == nil && out != want {
			t.Fatalf("Normalize(%q) = %q, %v; the reference gives %q, ok=%v", in, out, err, want, wantOK)
		}
		if err != nil {
			return
		}
		again, err := Normalize(out)
		if err != nil || again != out {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", in, out, out, again, err)
		}
		if len(out) > len(in) {
			t.Fatalf("Normalize(%q) = %q, longer than its input", in, out)
		}
		if out[0] != '/' || strings.Contains(out, "//") {
			t.Fatalf("Normalize(%q) = %q: not one '/' at the start and between segments", in, out)
		}
		upper := strings.ToUpper(out)
		for _, bad := range []string{"%2F", "%5C", "%00", "\\"} {
			if strings.Contains(upper, bad) {
				t.Fatalf("Normalize(%q) = %q holds %s", in, out, bad)
			}
		}
		for i := 0; i < len(out); i++ {
			if mustEncode(out[i]) {
				t.Fatalf("Normalize(%q) = %q holds the raw byte %#x", in, out, out[i])
			}
		}
		for _, seg := range strings.Split(out, "/") {
			name, _, _ := strings.Cut(seg, ";")
			if d, err := url.PathUnescape(name); err == nil && (d == "." || d == "..") {
				t.Fatalf("Normalize(%q) = %q keeps the dot segment %q", in, out, seg)
			}
		}
		for _, prefix := range []string{"/app", "/"} {
			if underPrefix(out, prefix) != underPrefix(again, prefix) {
				t.Fatalf("Normalize(%q) = %q: under %s changes when normalised again", in, out, prefix)
			}
			if underPrefix(out, prefix) && !underPrefix(tomcatView(out), prefix) {
				t.Fatalf("Normalize(%q) = %q is routed under %s but Tomcat reads it as %q", in, out, prefix, tomcatView(out))
			}
		}
	})
}

// referenceNormalize is a second, plainer reading of the package rules, segment by segment with a
// stack, for FuzzNormalize to hold Normalize to.
func referenceNormalize(raw string) (string, bool) {
	if !strings.HasPrefix(raw, "/") {
		return "", false
	}
	segs := strings.Split(raw[1:], "/")
	for _, seg := range segs {
		for i := 0; i < len(seg); i++ {
			switch c := seg[i]; {
			case c <= ' ' || c >= 0x7f || c == '\\':
				return "", false
			case c == '%':
				if i+2 >= len(seg) || !isHex(seg[i+1]) || !isHex(seg[i+2]) {
					return "", false
				}
				switch strings.ToUpper(seg[i : i+3]) {
				case "%2F", "%5C", "%00":
					return "", false
				}
			}
		}
	}
	var stack []string
	for _, seg := range segs {
		name, params, hasParams := strings.Cut(seg, ";")
		name = canonicalEscapes(name)
		switch {
		case seg == "":
		case name == ".":
		case name == "..":
			for {
				if len(stack) == 0 {
					return "", false
				}
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if !strings.HasPrefix(top, ";") {
					break
				}
			}
		case hasParams:
			stack = append(stack, name+";"+params)
		default:
			stack = append(stack, name)
		}
	}
	out := "/" + strings.Join(stack, "/")
	last := segs[len(segs)-1]
	name, _, _ := strings.Cut(last, ";")
	if name = canonicalEscapes(name); len(stack) > 0 && (last == "" || name == "." || name == "..") {
		out += "/"
	}
	return out, true
}

// canonicalEscapes decodes the unreserved escapes of a checked name and upper-cases the others.
func canonicalEscapes(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] != '%' {
			b.WriteByte(name[i])
			continue
		}
		esc := strings.ToUpper(name[i : i+3])
		if d, _ := url.PathUnescape(esc); len(d) == 1 && strings.ContainsAny(d,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") {
			b.WriteString(d)
		} else {
			b.WriteString(esc)
		}
		i += 2
	}
	return b.String()
}

func isHex(c byte) bool {
	return strings.IndexByte("0123456789abcdefABCDEF", c) >= 0
}

// tomcatView is the path Tomcat 10.1 maps a normalised path by: parameters stripped from each
// segment, then decoded, then runs of '/' merged (CoyoteAdapter.parsePathParameters, UDecoder,
// CoyoteAdapter.normalize). A normalised path has no dot segment left for Tomcat to resolve.
func tomcatView(path string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		name, _, _ := strings.Cut(seg, ";")
		segs[i], _ = url.PathUnescape(name)
	}
	for p := strings.Join(segs, "/"); ; {
		merged := strings.ReplaceAll(p, "//", "/")
		if merged == p {
			return p
		}
		p = merged
	}
}
