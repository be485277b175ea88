package main

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	c, err := loadConfig(envOf(map[string]string{
		"AJP_PORT": "9009", "HTTP_PORT": "off", "AJP_SECRET": "s", "APP_VERSION": "v2",
		"JVM_ROUTE": "blue", "READY_DELAY": "1.5", "FAIL_READY": "1", "SHUTDOWN_TIMEOUT": "30s",
		"FAIL_RATE": "20%", "FAIL_AFTER": "45s", "SLOW": "200ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := config{ajpAddr: ":9009", ajpSecret: "s", version: "v2", route: "blue",
		readyDelay: 1500 * time.Millisecond, failReady: true, shutdownTimeout: 30 * time.Second,
		failRate: 2000, failAfter: 45 * time.Second, slow: 200 * time.Millisecond}
	if c != want {
		t.Errorf("got %+v\\nwant %+v", c, want)
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ajpAddr != ":8009" || c.httpAddr != ":8080" || c.version != version || c.route == "" ||
		c.readyDelay != 0 || c.failReady || c.shutdownTimeout != defaultShutdownTimeout {
		t.Errorf("defaults %+v", c)
	}
}

func TestLoadConfigErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AJP_PORT": "70000"}, "AJP_PORT"},
		{map[string]string{"HTTP_PORT": "http"}, "HTTP_PORT"},
		{map[string]string{"READY_DELAY": "soon"}, "READY_DELAY"},
		{map[string]string{"FAIL_READY": "maybe"}, "FAIL_READY"},
		{map[string]string{"SHUTDOWN_TIMEOUT": "-3s"}, "SHUTDOWN_TIMEOUT"},
		{map[string]string{"JVM_ROUTE": "a.b"}, "JVM_ROUTE"},
		{map[string]string{"FAIL_RATE": "2"}, "FAIL_RATE"},
		{map[string]string{"FAIL_AFTER": "later"}, "FAIL_AFTER"},
		{map[string]string{"SLOW": "11m"}, "SLOW"},
		{map[string]string{"AJP_PORT": "off", "HTTP_PORT": "off"}, "nothing to serve"},
	}
	for _, tt := range tests {
		_, err := loadConfig(envOf(tt.env))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v; want one naming %s", tt.env, err, tt.want)
		}
	}
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
