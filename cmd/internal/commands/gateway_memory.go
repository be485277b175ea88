package commands

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// defaultMemoryTarget is the Go memory the gateway keeps to unless told otherwise: measured with
// 1,000 busy keep-alive clients (docs/benchmarks.md, "Memory target"), where Go's default
// lets the heap grow to twice what is live.
const defaultMemoryTarget = "40MiB"

// gatewayMemoryTarget is the gateway's Config.MemoryTarget for --memory-target: 0 when it is 0 or
// the environment sets GOMEMLIMIT, which the runtime then has taken as it is.
func gatewayMemoryTarget(value string, getenv func(string) string, log *slog.Logger) (int64, error) {
	target, err := parseByteSize(value)
	if err != nil {
		return 0, fmt.Errorf("--memory-target %q: %w", value, err)
	}
	if v := getenv("GOMEMLIMIT"); v != "" {
		log.Debug("GOMEMLIMIT set: the gateway keeps no memory target of its own", "GOMEMLIMIT", v)
		return 0, nil
	}
	return target, nil
}

// parseByteSize reads a size as GOMEMLIMIT writes it: a whole number of bytes with an optional
// unit B, KiB, MiB or GiB.
func parseByteSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("want a size such as 40MiB, 1GiB or 0 (none)")
	}
	return n * mult, nil
}
