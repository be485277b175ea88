package reqpath

import "testing"

func BenchmarkNormalize(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"normal", "/app/nosession.jsp"},
		{"session", "/app/shop/cart.jsp;jsessionid=8A1F0C2D3E4B5A6978877665544332211.tomcat1"},
		{"dotted", "/app/x/../%2e/info.jsp"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Normalize(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
