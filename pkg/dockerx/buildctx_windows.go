//go:build windows

package dockerx

// tarMode is the mode a build context file is sent with. Windows keeps no
// executable bit, so, as the docker CLI does, every file is sent executable
// (an entrypoint script must run in the Linux image) and nothing group- or
// world-writable.
func tarMode(mode int64) int64 {
	return mode&^0o777 | mode&0o755 | 0o111
}
