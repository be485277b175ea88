// Command launcher starts Tomcat as the container's main process in an image
// that has no shell (the offline base image built by
// scripts/build-tomcat-image.sh). It does what a docker-entrypoint.sh and
// catalina.sh would: give the instance its own session route, refuse to open
// an AJP port without a secret, and exec the JVM so that it receives SIGTERM.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"syscall"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cmd, err := tomcatCommand(os.Getenv, os.Hostname)
	if err != nil {
		log.Error("cannot start tomcat", "err", err)
		os.Exit(2)
	}
	env := os.Environ()
	for k, v := range cmd.setEnv {
		env = append(env, k+"="+v)
	}
	log.Info("starting tomcat", "java", cmd.path, "jvm_route", cmd.route, "catalina_base", cmd.catalinaBase)
	// Exec, not fork: the JVM becomes PID 1 and gets docker stop's SIGTERM,
	// which runs Tomcat's shutdown hook.
	err = syscall.Exec(cmd.path, cmd.args, env)
	log.Error("cannot exec java", "path", cmd.path, "err", fmt.Errorf("starting the JVM: %w", err))
	os.Exit(2)
}
