//go:build linux

package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// Defaults match the image scripts/build-postgres-image.sh builds: Debian's
// PostgreSQL 15 at its Debian paths, the data in a volume mounted at
// /var/lib/postgresql/data, and the names the Tomcat example's jdbc.xml uses.
const (
	defaultBin = "/usr/lib/postgresql/15/bin"
	// defaultTemplate is the cluster initdb made at image build, which the
	// first start copies into the volume.
	defaultTemplate = "/usr/share/postgresql/15/cluster-template"
	defaultData     = "/var/lib/postgresql/data/pgdata"
	defaultDatabase = "sessions"
	defaultUser     = "tomcat"
	// socketDir holds the server's Unix socket, which only the launcher uses
	// (setup, the ready check); clients come over TCP with a password.
	socketDir = "/tmp"
	// superuser is the bootstrap superuser initdb makes; it has no password
	// and can log in only over the Unix socket.
	superuser = "postgres"
)

// ErrNoPassword means POSTGRES_PASSWORD is empty: the server takes TCP
// connections with a password only.
var ErrNoPassword = errors.New("POSTGRES_PASSWORD is empty: set the password the app connects with (the same value as the app's SESSION_DB_PASSWORD)")

// config is what the environment says about the server to run.
type config struct {
	bin      string // where postgres is
	template string // the cluster the first start copies
	data     string // the data directory; initialized on the first start
	database string // created on the first start, owned by user
	user     string // the role the app logs in with
	password string
}

// identifier is what the launcher accepts as a database or role name: plain
// lower-case SQL identifiers, so that a name never needs quoting rules to be
// right and means the same to PostgreSQL and to the app's JDBC URL.
var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

func configOf(getenv func(string) string) (config, error) {
	c := config{
		bin:      orDefault(getenv("PG_BIN"), defaultBin),
		template: orDefault(getenv("PG_TEMPLATE"), defaultTemplate),
		data:     orDefault(getenv("PGDATA"), defaultData),
		database: orDefault(getenv("POSTGRES_DB"), defaultDatabase),
		user:     orDefault(getenv("POSTGRES_USER"), defaultUser),
		password: getenv("POSTGRES_PASSWORD"),
	}
	for _, v := range []struct{ key, value string }{{"POSTGRES_DB", c.database}, {"POSTGRES_USER", c.user}} {
		if !identifier.MatchString(v.value) {
			return config{}, fmt.Errorf("%s %q is not a plain name: use lower-case letters, digits and _ (at most 63, not starting with a digit)", v.key, v.value)
		}
	}
	if c.user == superuser {
		return config{}, fmt.Errorf("POSTGRES_USER %q is the superuser's name; the app gets a role of its own", c.user)
	}
	if c.password == "" {
		return config{}, ErrNoPassword
	}
	if strings.ContainsRune(c.password, 0) {
		return config{}, errors.New("POSTGRES_PASSWORD contains a NUL byte")
	}
	if !filepath.IsAbs(c.data) || filepath.Clean(c.data) == "/" {
		return config{}, fmt.Errorf("PGDATA %q must be an absolute path below a directory the server may write to", c.data)
	}
	c.data = filepath.Clean(c.data)
	return c, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
