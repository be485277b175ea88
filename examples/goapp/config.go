package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// version is the default APP_VERSION, stamped at build time with
// -ldflags "-X main.version=…"; the environment variable wins so one binary can
// play several releases.
var version = "dev"

// config is everything the app reads from its environment.
type config struct {
	ajpAddr         string // "" disables AJP
	httpAddr        string // "" disables HTTP
	ajpSecret       string
	version         string
	route           string
	readyDelay      time.Duration
	failReady       bool
	shutdownTimeout time.Duration
	failRate        uint64        // FAIL_RATE in parts of failRateScale
	failAfter       time.Duration // FAIL_AFTER: from ready, when FAIL_RATE starts
	slow            time.Duration // SLOW: added to each page request once ready
}

// defaultShutdownTimeout stays below Docker's default 10 s stop timeout so the
// app finishes its own shutdown before the engine sends SIGKILL.
const defaultShutdownTimeout = 9 * time.Second

// loadConfig reads the environment through getenv (os.Getenv in main) so tests
// can pass a map.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		ajpSecret:       getenv("AJP_SECRET"),
		version:         getenv("APP_VERSION"),
		route:           getenv("JVM_ROUTE"),
		shutdownTimeout: defaultShutdownTimeout,
	}
	if c.version == "" {
		c.version = version
	}
	var errs []error
	var err error
	if c.ajpAddr, err = listenAddr(getenv, "AJP_PORT", "8009"); err != nil {
		errs = append(errs, err)
	}
	if c.httpAddr, err = listenAddr(getenv, "HTTP_PORT", "8080"); err != nil {
		errs = append(errs, err)
	}
	if c.readyDelay, err = envDuration(getenv, "READY_DELAY"); err != nil {
		errs = append(errs, err)
	}
	if v := getenv("SHUTDOWN_TIMEOUT"); v != "" {
		if c.shutdownTimeout, err = envDuration(getenv, "SHUTDOWN_TIMEOUT"); err != nil {
			errs = append(errs, err)
		}
	}
	if c.failReady, err = envBool(getenv, "FAIL_READY"); err != nil {
		errs = append(errs, err)
	}
	if c.failRate, err = envRate(getenv, "FAIL_RATE"); err != nil {
		errs = append(errs, err)
	}
	if c.failAfter, err = envDuration(getenv, "FAIL_AFTER"); err != nil {
		errs = append(errs, err)
	}
	if c.slow, err = envDuration(getenv, "SLOW"); err != nil {
		errs = append(errs, err)
	} else if c.slow > maxSlow {
		errs = append(errs, fmt.Errorf("SLOW=%q: at most %s", getenv("SLOW"), maxSlow))
	}
	if c.route == "" {
		// Like Tomcat's jvmRoute, one route per instance: in a container the
		// hostname is the container id, so old and new never share a route.
		if c.route, err = os.Hostname(); err != nil {
			errs = append(errs, fmt.Errorf("reading the hostname for the session route (set JVM_ROUTE): %w", err))
		}
	}
	if strings.ContainsAny(c.route, ".; \t") {
		errs = append(errs, fmt.Errorf("JVM_ROUTE %q: a route cannot contain '.', ';' or spaces, they end the session id", c.route))
	}
	if c.ajpAddr == "" && c.httpAddr == "" {
		errs = append(errs, errors.New("AJP_PORT and HTTP_PORT are both off: nothing to serve"))
	}
	return c, errors.Join(errs...)
}

// listenAddr turns a port variable into a listen address; "off" disables the listener.
func listenAddr(getenv func(string) string, name, def string) (string, error) {
	v := getenv(name)
	if v == "" {
		v = def
	}
	if v == "off" {
		return "", nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%s=%q: want a port number 1-65535 or \"off\"", name, v)
	}
	return ":" + v, nil
}

// envDuration accepts a Go duration ("2s", "1m30s") or a number of seconds ("5").
func envDuration(getenv func(string) string, name string) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return 0, nil
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q: want a duration such as 5s or a number of seconds", name, v)
	}
	return d, nil
}

// envBool accepts the usual spellings of a flag.
func envBool(getenv func(string) string, name string) (bool, error) {
	v := getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want 1 or 0", name, v)
	}
	return b, nil
}
