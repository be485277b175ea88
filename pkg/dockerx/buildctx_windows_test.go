//go:build windows

package dockerx

import "testing"

func TestBuildContextModesOnWindowsAreTheDockerCLIs(t *testing.T) {
	for _, tt := range []struct{ in, want int64 }{
		{0o666, 0o755}, // what Go reports for a writable file on Windows
		{0o444, 0o555}, // a read-only file
		{0o777, 0o755}, // a directory
	} {
		if got := tarMode(tt.in); got != tt.want {
			t.Errorf("tarMode(%04o) = %04o, want %04o", tt.in, got, tt.want)
		}
	}
}
