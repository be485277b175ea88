//go:build !unix

package swarmtest

import "os"

// Without flock the lease is the binary's own: the Swarm tests run on Linux engines.
func lockExclusive(*os.File, bool) error { return nil }

func lockShared(*os.File, bool) error { return nil }

func unlock(*os.File) {}
