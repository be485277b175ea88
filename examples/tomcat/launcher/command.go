package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Defaults match the layout of the official tomcat image, so the same
// Dockerfile lines (COPY to /usr/local/tomcat/...) work on both bases.
const (
	defaultJavaHome     = "/opt/java"
	defaultCatalinaHome = "/usr/local/tomcat"
)

// propertySource makes server.xml's ${AJP_SECRET} and ${JVM_ROUTE} read the
// environment; the secret itself never appears on the JVM's command line.
const propertySource = "-Dorg.apache.tomcat.util.digester.PROPERTY_SOURCE=" +
	"org.apache.tomcat.util.digester.EnvironmentPropertySource"

// ErrNoSecret means AJP_SECRET is empty: the connector is configured with
// secretRequired="true" and Tomcat would otherwise start with the literal
// "${AJP_SECRET}" as its secret.
var ErrNoSecret = errors.New("AJP_SECRET is empty: the AJP connector needs a secret; set AJP_SECRET in the container's environment (the gateway must use the same one)")

// command is the JVM invocation the launcher execs.
type command struct {
	path         string
	args         []string
	setEnv       map[string]string // added to the inherited environment
	route        string
	catalinaBase string
	store        sessionStore // installed into catalinaBase before the exec
}

// tomcatCommand builds the java command line of catalina.sh run from the
// environment. hostname gives the default session route.
func tomcatCommand(getenv func(string) string, hostname func() (string, error)) (command, error) {
	if getenv("AJP_SECRET") == "" {
		return command{}, ErrNoSecret
	}
	javaHome := orDefault(getenv("JAVA_HOME"), defaultJavaHome)
	home := orDefault(getenv("CATALINA_HOME"), defaultCatalinaHome)
	base := orDefault(getenv("CATALINA_BASE"), home)

	store, err := sessionStoreOf(getenv)
	if err != nil {
		return command{}, err
	}
	c := command{path: filepath.Join(javaHome, "bin", "java"), setEnv: map[string]string{}, catalinaBase: base, store: store}
	if store.kind == storeFile && getenv("SESSION_DIR") == "" {
		// The context file reads ${SESSION_DIR}.
		c.setEnv["SESSION_DIR"] = store.dir
	}
	if store.kind == storeJDBC && getenv("SESSION_DB_PASSWORD") == "" {
		// The context file reads ${SESSION_DB_PASSWORD}; Tomcat leaves an unset
		// variable's ${...} as it is and would send that text as the password.
		c.setEnv["SESSION_DB_PASSWORD"] = ""
	}
	c.route = getenv("JVM_ROUTE")
	if c.route == "" {
		// One route per container: the hostname is the container id unless
		// the compose file fixes it (which would give old and new the same route).
		h, err := hostname()
		if err != nil {
			return command{}, fmt.Errorf("reading the hostname for jvmRoute (set JVM_ROUTE): %w", err)
		}
		c.route = h
		c.setEnv["JVM_ROUTE"] = h
	}
	if strings.ContainsAny(c.route, ".; \t") {
		return command{}, fmt.Errorf("jvmRoute %q: a route cannot contain '.', ';' or spaces, they end the session id", c.route)
	}

	c.args = []string{c.path}
	// JAVA_OPTS and CATALINA_OPTS split on white space: no quoting, as there
	// is no shell here to interpret it.
	c.args = append(c.args, strings.Fields(getenv("JAVA_OPTS"))...)
	c.args = append(c.args, strings.Fields(getenv("CATALINA_OPTS"))...)
	c.args = append(c.args,
		"-Djava.util.logging.config.file="+filepath.Join(base, "conf", "logging.properties"),
		"-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager",
		"-Djdk.tls.ephemeralDHKeySize=2048",
		"-Djava.protocol.handler.pkgs=org.apache.catalina.webresources",
		"-Dorg.apache.catalina.security.SecurityListener.UMASK=0027",
		propertySource,
		// The module openings catalina.sh passes, so Tomcat's leak
		// prevention can reach into the JDK without warnings.
		"--add-opens=java.base/java.lang=ALL-UNNAMED",
		"--add-opens=java.base/java.io=ALL-UNNAMED",
		"--add-opens=java.base/java.util=ALL-UNNAMED",
		"--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
		"--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED",
		"-classpath", filepath.Join(home, "bin", "bootstrap.jar")+":"+filepath.Join(home, "bin", "tomcat-juli.jar"),
		"-Dcatalina.base="+base,
		"-Dcatalina.home="+home,
		"-Djava.io.tmpdir="+filepath.Join(base, "temp"),
		"org.apache.catalina.startup.Bootstrap", "start",
	)
	return c, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
