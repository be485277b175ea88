package apachetest

import (
	"bytes"
	"embed"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

//go:embed conf
var files embed.FS

var templates = template.Must(template.ParseFS(files, "conf/*.tmpl"))

// Where Debian's apache2 and libapache2-mod-jk install httpd and its modules; APACHE_BIN and
// APACHE_MODULES override them.
const (
	debianBinary  = "/usr/sbin/apache2"
	debianModules = "/usr/lib/apache2/modules"
)

func binary() string {
	if b := os.Getenv("APACHE_BIN"); b != "" {
		return b
	}
	return debianBinary
}

func modules() string {
	if m := os.Getenv("APACHE_MODULES"); m != "" {
		return m
	}
	return debianModules
}

// runAs is the user httpd's workers run as: as root they must drop privileges (httpd refuses to
// serve as root), to www-data like a packaged Apache; otherwise they stay who started them.
const runAs = "www-data"

// httpdConfig is what httpd.conf.tmpl needs.
type httpdConfig struct {
	Dir, Modules, Mount string
	Port                int
	User, Group         string
}

// workersConfig is what workers.properties.tmpl needs.
type workersConfig struct {
	Members    []memberConfig
	Workers    string // the lb's balance_workers
	PingMode   string
	PacketSize int
	Sticky     bool
}

type memberConfig struct {
	Host, Port, Secret, Route string
}

// layDir creates the ServerRoot in dir: run/, logs/, an empty htdocs/ and workers.properties.
// httpd.conf is written by writeHTTPDConf, because it changes when Start retries with another port.
func layDir(dir string, o Options) error {
	for _, d := range []string{"run", "logs", "htdocs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	wc := workersConfig{PingMode: o.PingMode, PacketSize: o.PacketSize, Sticky: !o.NoSticky}
	names := make([]string, 0, len(o.Members))
	for _, m := range o.Members {
		host, port, _ := net.SplitHostPort(m.Address) // validated
		wc.Members = append(wc.Members, memberConfig{Host: host, Port: port, Secret: m.Secret, Route: m.Route})
		names = append(names, m.Route)
	}
	wc.Workers = strings.Join(names, ",")
	if err := render("workers.properties.tmpl", wc, filepath.Join(dir, "workers.properties")); err != nil {
		return err
	}
	return allowWorkers(dir)
}

// allowWorkers lets httpd's workers, which run as runAs under root, look up files in the empty document
// root (else every path outside the mount is 403, not 404): t.TempDir and os.MkdirTemp create
// directories only their owner may enter, so dir and its parents below the temp dir get o+x.
func allowWorkers(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	tmp := filepath.Clean(os.TempDir()) + string(filepath.Separator)
	for d := filepath.Clean(dir); d == dir || strings.HasPrefix(d, tmp); d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("checking %s: %w", d, err)
		}
		if perm := fi.Mode().Perm(); perm&0o001 == 0 {
			if err := os.Chmod(d, perm|0o001); err != nil {
				return fmt.Errorf("letting %s into %s: %w", runAs, d, err)
			}
		}
	}
	return nil
}

// writeHTTPDConf writes httpd.conf for port.
func writeHTTPDConf(dir string, o Options, port int) error {
	cfg := httpdConfig{Dir: dir, Modules: modules(), Mount: o.Mount, Port: port}
	if os.Geteuid() == 0 {
		cfg.User, cfg.Group = runAs, runAs
	}
	return render("httpd.conf.tmpl", cfg, filepath.Join(dir, "httpd.conf"))
}

// render executes the named template into path.
func render(name string, data any, path string) error {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("rendering %s: %w", name, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
