//go:build unix

package dockerx

// tarMode is the mode a build context file is sent with: its own, on unix.
func tarMode(mode int64) int64 { return mode }
