//go:build unix

package ui

import "golang.org/x/sys/unix"

// columns is the width of the terminal on fd, 0 if it cannot be asked.
func columns(fd uintptr) int {
	ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
