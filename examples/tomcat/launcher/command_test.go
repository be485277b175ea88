package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func fixedHost(name string) func() (string, error) {
	return func() (string, error) { return name, nil }
}

func TestTomcatCommandDefaultsRouteToHostname(t *testing.T) {
	c, err := tomcatCommand(envOf(map[string]string{"AJP_SECRET": "s3cret-value"}), fixedHost("3f2a9c1d0b7e"))
	if err != nil {
		t.Fatal(err)
	}
	if c.route != "3f2a9c1d0b7e" || c.setEnv["JVM_ROUTE"] != "3f2a9c1d0b7e" {
		t.Errorf("route %q, JVM_ROUTE set to %q; want the hostname in both", c.route, c.setEnv["JVM_ROUTE"])
	}
	if c.path != "/opt/java/bin/java" || c.args[0] != c.path {
		t.Errorf("path %q args[0] %q; want /opt/java/bin/java", c.path, c.args[0])
	}
	for _, want := range []string{
		propertySource,
		"-Dcatalina.base=/usr/local/tomcat",
		"-Djava.io.tmpdir=/usr/local/tomcat/temp",
		"org.apache.catalina.startup.Bootstrap",
	} {
		if !slices.Contains(c.args, want) {
			t.Errorf("args lack %q: %q", want, c.args)
		}
	}
	if strings.Contains(strings.Join(c.args, " "), "s3cret-value") {
		t.Errorf("the AJP secret is on the command line: %q", c.args)
	}
}

func TestTomcatCommandKeepsGivenRouteAndOptions(t *testing.T) {
	env := map[string]string{
		"AJP_SECRET":    "x",
		"JVM_ROUTE":     "blue",
		"JAVA_OPTS":     " -Xmx128m  -XX:+UseSerialGC ",
		"CATALINA_OPTS": "-Dfoo=bar",
		"CATALINA_BASE": "/srv/base",
		"JAVA_HOME":     "/jre",
	}
	c, err := tomcatCommand(envOf(env), func() (string, error) { return "", errors.New("must not be called") })
	if err != nil {
		t.Fatal(err)
	}
	if c.route != "blue" || len(c.setEnv) != 0 {
		t.Errorf("route %q setEnv %v; want blue and nothing set", c.route, c.setEnv)
	}
	if got := c.args[1:4]; !slices.Equal(got, []string{"-Xmx128m", "-XX:+UseSerialGC", "-Dfoo=bar"}) {
		t.Errorf("options %q; want JAVA_OPTS then CATALINA_OPTS, split on white space", got)
	}
	if !slices.Contains(c.args, "-Dcatalina.base=/srv/base") || !slices.Contains(c.args, "-Dcatalina.home=/usr/local/tomcat") {
		t.Errorf("CATALINA_BASE not honoured: %q", c.args)
	}
	if c.path != "/jre/bin/java" {
		t.Errorf("path %q; want /jre/bin/java", c.path)
	}
}

func TestTomcatCommandRefuses(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		host func() (string, error)
		want string
	}{
		{"no secret", map[string]string{}, fixedHost("h"), "AJP_SECRET is empty"},
		{"route with a dot", map[string]string{"AJP_SECRET": "x", "JVM_ROUTE": "a.b"}, fixedHost("h"), `jvmRoute "a.b"`},
		{"hostname fails", map[string]string{"AJP_SECRET": "x"}, func() (string, error) { return "", errors.New("boom") }, "set JVM_ROUTE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tomcatCommand(envOf(tt.env), tt.host)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v; want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := tomcatCommand(envOf(map[string]string{}), fixedHost("h")); !errors.Is(err, ErrNoSecret) {
		t.Errorf("err %v; want ErrNoSecret", err)
	}
}
