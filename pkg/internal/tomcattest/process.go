package tomcattest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// stopGrace bounds how long Stop lets Tomcat shut down after SIGTERM before it kills the process group.
const stopGrace = 30 * time.Second

// process is one running JVM. Its process group holds nothing else: the JVM is started directly (not
// through catalina.sh), so the group is killed as a whole.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the JVM has exited and been reaped
	err  error         // the result of Wait, valid once done is closed
}

// javaBinary is the java launcher: $JAVA_HOME/bin/java when set, else java on PATH.
func javaBinary() (string, error) {
	if jh := os.Getenv("JAVA_HOME"); jh != "" {
		p := filepath.Join(jh, "bin", "java")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("finding java: %w", err)
	}
	return p, nil
}

// javaArgs is what catalina.sh run would pass, plus a small heap and fast-start flags: tests run
// several Tomcats on a small machine and need them up quickly, not fast after a long warm-up.
func javaArgs(home, base, route string) []string {
	return []string{
		"-Djava.util.logging.config.file=" + filepath.Join(base, "conf", "logging.properties"),
		"-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager",
		"-Xms64m", "-Xmx256m",
		"-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:+UseSerialGC",
		"-Djava.security.egd=file:/dev/./urandom",
		// Tomcat ships translated messages; the harness recognises some log lines, so pin English.
		"-Duser.language=en", "-Duser.country=US",
		"-Djava.protocol.handler.pkgs=org.apache.catalina.webresources",
		// Exit instead of running on without a connector when a port is taken, so Start can retry.
		"-Dorg.apache.catalina.startup.EXIT_ON_INIT_FAILURE=true",
		"--add-opens=java.base/java.lang=ALL-UNNAMED",
		"--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
		"--add-opens=java.base/java.io=ALL-UNNAMED",
		"--add-opens=java.base/java.util=ALL-UNNAMED",
		"--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
		"--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED",
		"-Dtomcattest.route=" + route, // the JSPs print it
		"-classpath", filepath.Join(home, "bin", "bootstrap.jar") + string(os.PathListSeparator) +
			filepath.Join(home, "bin", "tomcat-juli.jar"),
		"-Dcatalina.base=" + base,
		"-Dcatalina.home=" + home,
		"-Djava.io.tmpdir=" + filepath.Join(base, "temp"),
		"org.apache.catalina.startup.Bootstrap", "start",
	}
}

// launch starts Tomcat for the CATALINA_BASE base, appending its console output to logPath.
func launch(java, home, base, route, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the console log: %w", err)
	}
	// The child keeps its own descriptor; ours is not needed once it runs.
	defer logFile.Close()
	fmt.Fprintf(logFile, "--- tomcattest: starting %s at %s\n", route, time.Now().Format(time.RFC3339Nano))

	cmd := exec.Command(java, javaArgs(home, base, route)...)
	cmd.Dir = base
	cmd.Env = append(os.Environ(), "CATALINA_HOME="+home, "CATALINA_BASE="+base)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting java: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the JVM has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL to the whole process group and waits for the JVM to be reaped.
func (p *process) kill() {
	if !p.exited() {
		killGroup(p.cmd.Process)
	}
	<-p.done
}

// terminate sends SIGTERM (Tomcat's graceful shutdown) and waits, killing the group after stopGrace.
func (p *process) terminate() {
	if p.exited() {
		return
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.kill()
		return
	}
	select {
	case <-p.done:
		// Once the JVM is reaped its pid (and so its group id) may be reused: signal nothing more.
	case <-time.After(stopGrace):
		p.kill()
	}
}
