package commands

import (
	"log/slog"
	"runtime"
	"strconv"
)

// procsPerCPU is how many of the Go runtime's Ps the gateway runs per CPU when GOMAXPROCS is not
// set. With one P per CPU (Go's default) the gateway's goroutines hand requests to Tomcat one at a
// time, and each wakes a poller and an executor thread of Tomcat's; with two, the requests of
// several clients reach Tomcat together and its threads find work without sleeping. Measured on
// the gateway benchmark (docs/benchmarks.md, "GOMAXPROCS"): with twice the Ps, roll → AJP served
// 9–16 % more requests per second on both pages, Tomcat spent 15–20 % less CPU per request behind
// it, the gateway's own CPU per request and its p99 stayed where they were. Eight Ps on two CPUs
// had made the p99 worse: the factor stays small.
const procsPerCPU = 2

// setGatewayProcs gives the gateway's runtime procsPerCPU Ps per CPU that Go found available
// (its default already follows the container's CPU limit), unless the environment sets
// GOMAXPROCS, which the runtime then has taken as it is. It returns the count in use.
func setGatewayProcs(getenv func(string) string, log *slog.Logger) int {
	if v := getenv("GOMAXPROCS"); v != "" {
		n := runtime.GOMAXPROCS(0)
		if _, err := strconv.Atoi(v); err != nil {
			log.Warn("GOMAXPROCS is not a number; the Go runtime ignored it", "GOMAXPROCS", v, "procs", n)
		}
		return n
	}
	cpus := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(procsPerCPU * cpus)
	log.Debug("Go runtime Ps set", "procs", procsPerCPU*cpus, "cpus", cpus)
	return procsPerCPU * cpus
}
