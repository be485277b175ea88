package answer

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		body string
		want Answer
	}{
		{"version=v2 route=0c53d8de0c6f session=AB.0c53d8de0c6f hits=7 via=ajp", Answer{"v2", "0c53d8de0c6f", "AB.0c53d8de0c6f", 7}},
		{"version=v1 route=tomcat1 session=X.tomcat1 hits=1\n", Answer{"v1", "tomcat1", "X.tomcat1", 1}},
		{"ok", Answer{}},
	}
	for _, tt := range tests {
		if got := Parse([]byte(tt.body)); got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.body, got, tt.want)
		}
	}
}
