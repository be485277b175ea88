// Command launcher starts Tomcat as the container's main process in an image
// that has no shell (the offline base image built by
// scripts/build-tomcat-image.sh). It does what a docker-entrypoint.sh and
// catalina.sh would: give the instance its own session route, refuse to open
// an AJP port without a secret, install the session store SESSION_STORE
// selects, and exec the JVM so that it receives SIGTERM.
//
// "tomcat-launcher check-store" instead checks that the configured session
// store is reachable and writable (exit 0), or says why not (exit 1).
package main

import (
	"fmt"
	"log/slog"
	"os"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "check-store" {
		os.Exit(runCheckStore())
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cmd, err := tomcatCommand(os.Getenv, os.Hostname)
	if err != nil {
		log.Error("cannot start tomcat", "err", err)
		os.Exit(2)
	}
	if err := cmd.store.install(cmd.catalinaBase); err != nil {
		log.Error("cannot start tomcat", "err", err)
		os.Exit(2)
	}
	env := os.Environ()
	for k, v := range cmd.setEnv {
		env = append(env, k+"="+v)
	}
	log.Info("starting tomcat", "java", cmd.path, "jvm_route", cmd.route, "catalina_base", cmd.catalinaBase,
		"session_store", cmd.store.kind)
	// Exec, not fork: the JVM becomes PID 1 and gets docker stop's SIGTERM,
	// which runs Tomcat's shutdown hook.
	err = syscall.Exec(cmd.path, cmd.args, env)
	log.Error("cannot exec java", "path", cmd.path, "err", fmt.Errorf("starting the JVM: %w", err))
	os.Exit(2)
}

// runCheckStore prints one line: what was checked, or why it failed.
func runCheckStore() int {
	s, err := sessionStoreOf(os.Getenv)
	if err == nil {
		err = checkStore(s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "check-store:", err)
		return 1
	}
	fmt.Printf("check-store: session store %s ok\n", s.kind)
	return 0
}
