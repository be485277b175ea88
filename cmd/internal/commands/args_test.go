package commands

import (
	"slices"
	"testing"
)

func TestInterspersedMovesCommandFlagsBeforeArguments(t *testing.T) {
	app := newApp("test")
	tests := []struct{ in, want []string }{
		{[]string{"roll", "deploy", "app", "--image", "x:2", "--json"}, []string{"roll", "deploy", "--image", "x:2", "--json", "app"}},
		{[]string{"roll", "-f", "a.yaml", "deploy", "app", "--drain-timeout=5s"}, []string{"roll", "-f", "a.yaml", "deploy", "--drain-timeout=5s", "app"}},
		{[]string{"roll", "--no-color", "status", "app", "-w"}, []string{"roll", "--no-color", "status", "-w", "app"}},
		{[]string{"roll", "deploy", "--image", "x", "app"}, []string{"roll", "deploy", "--image", "x", "app"}},
		{[]string{"roll", "deploy", "app", "--", "--weird"}, []string{"roll", "deploy", "app", "--", "--weird"}},
		{[]string{"roll", "nosuch", "x", "--y"}, []string{"roll", "nosuch", "x", "--y"}},
		{[]string{"roll"}, []string{"roll"}},
	}
	for _, tt := range tests {
		if got := interspersed(app, tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("interspersed(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
