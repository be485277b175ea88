package e2e

import (
	"os/exec"
	"testing"
	"time"
)

// The session store's database: roll-example-postgres:15, built here from Debian's postgresql-15
// by scripts/build-postgres-image.sh, with a Go launcher and no shell.

const (
	postgresImage    = "roll-example-postgres:15"
	postgresPassword = "sessions-test-pw"
)

// postgresContainer is one database container with its data in its own volume.
type postgresContainer struct {
	t      *testing.T
	name   string
	volume string
}

// runPostgres starts the database on network, reachable there as alias, and waits until its
// launcher says the app's user may use the sessions database. It is removed, with its volume,
// when the test ends.
func runPostgres(t *testing.T, network, alias string) *postgresContainer {
	t.Helper()
	c := &postgresContainer{t: t, name: "roll-pg-" + randHex(4)}
	c.volume = c.name + "-data"
	docker(t, "volume", "create", c.volume)
	t.Cleanup(func() {
		_ = exec.Command("docker", "rm", "-f", "-v", c.name).Run()
		_ = exec.Command("docker", "volume", "rm", "-f", c.volume).Run()
	})
	docker(t, "run", "-d", "--name", c.name, "--network", network, "--network-alias", alias,
		"-e", "POSTGRES_PASSWORD="+postgresPassword, "-v", c.volume+":/var/lib/postgresql/data", postgresImage)
	c.waitReady()
	return c
}

// waitReady polls the launcher's ready check in the container.
func (c *postgresContainer) waitReady() {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.Command("docker", "exec", c.name, "/usr/local/bin/postgres-launcher", "ready").CombinedOutput()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s never became ready: %v %s\n%s", c.name, err, out, c.logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *postgresContainer) logs() string {
	out, _ := exec.Command("docker", "logs", c.name).CombinedOutput()
	return string(out)
}

// testNetwork is a Docker network of the test's own, removed when it ends.
func testNetwork(t *testing.T) string {
	t.Helper()
	name := "roll-e2e-net-" + randHex(4)
	docker(t, "network", "create", name)
	t.Cleanup(func() { _ = exec.Command("docker", "network", "rm", name).Run() })
	return name
}
