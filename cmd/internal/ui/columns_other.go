//go:build !unix

package ui

// columns is 0 (unknown) where the terminal cannot be asked its width; live lines
// then assume 80 columns.
func columns(uintptr) int { return 0 }
