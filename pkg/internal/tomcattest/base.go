package tomcattest

import (
	"bytes"
	"embed"
	"encoding/xml"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// The test webapp, the second webapp and our own configuration files, laid into every CATALINA_BASE.
//
//go:embed webapp other conf
var files embed.FS

// OtherMarker is in every answer of the second webapp, /other (index.jsp, secret.jsp, secret.txt): a front
// door that mounts only /app must never return it, whatever path it is asked for.
const OtherMarker = "OTHER-WEBAPP-REACHED"

var templates = template.Must(template.New("").Funcs(template.FuncMap{"xml": xmlEscape}).
	ParseFS(files, "conf/*.tmpl"))

// debianHome is where Debian's tomcat10 package installs Tomcat 10.1.
const debianHome = "/usr/share/tomcat10"

// catalinaHome is the Tomcat installation to run: $CATALINA_HOME when set, else Debian's.
func catalinaHome() string {
	if h := os.Getenv("CATALINA_HOME"); h != "" {
		return h
	}
	return debianHome
}

// confTemplates is the directory holding the stock conf files: Debian moves them to etc/, upstream keeps conf/.
func confTemplates(home string) string {
	if _, err := os.Stat(filepath.Join(home, "etc", "web.xml")); err == nil {
		return filepath.Join(home, "etc")
	}
	return filepath.Join(home, "conf")
}

// serverConfig is what server.xml.tmpl needs.
type serverConfig struct {
	HTTPPort, AJPPort int
	Secret            string
	PacketSize        int
	KeepAliveMillis   int64
	MaxHeaderCount    int
	Route             string
}

// webConfig is what web.xml.tmpl needs.
type webConfig struct {
	Broken          bool
	SlowStartMillis int64
}

// layBase creates a CATALINA_BASE in dir for o: the stock conf files from home, our context.xml and
// logging.properties, the test webapp at webapps/app and the second one at webapps/other. server.xml is written by writeServerXML, because
// it changes when Start retries with other ports.
func layBase(dir, home string, o Options) error {
	for _, d := range []string{"conf", "logs", "temp", "work", "lib", "webapps/app", "webapps/other"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	stock := confTemplates(home)
	for _, name := range []string{"web.xml", "catalina.properties"} {
		b, err := os.ReadFile(filepath.Join(stock, name))
		if err != nil {
			return fmt.Errorf("reading Tomcat's stock %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "conf", name), b, 0o644); err != nil {
			return fmt.Errorf("writing conf/%s: %w", name, err)
		}
	}
	for _, name := range []string{"context.xml", "logging.properties"} {
		b, err := files.ReadFile("conf/" + name)
		if err != nil {
			return fmt.Errorf("reading embedded %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "conf", name), b, 0o644); err != nil {
			return fmt.Errorf("writing conf/%s: %w", name, err)
		}
	}
	app := filepath.Join(dir, "webapps", "app")
	if err := copyTree("webapp", app); err != nil {
		return err
	}
	if err := copyTree("other", filepath.Join(dir, "webapps", "other")); err != nil {
		return err
	}
	web := webConfig{Broken: o.BrokenApp, SlowStartMillis: o.SlowStart.Milliseconds()}
	if err := render("web.xml.tmpl", web, filepath.Join(app, "WEB-INF", "web.xml")); err != nil {
		return err
	}
	return nil
}

// writeServerXML writes conf/server.xml for the given ports.
func writeServerXML(dir string, o Options, httpPort, ajpPort int) error {
	cfg := serverConfig{
		HTTPPort:        httpPort,
		AJPPort:         ajpPort,
		Secret:          o.Secret,
		PacketSize:      o.PacketSize,
		KeepAliveMillis: o.AJPKeepAlive.Milliseconds(),
		MaxHeaderCount:  o.MaxHeaderCount,
		Route:           o.Route,
	}
	return render("server.xml.tmpl", cfg, filepath.Join(dir, "conf", "server.xml"))
}

// copyTree writes the embedded directory root into dir.
func copyTree(root, dir string) error {
	return fs.WalkDir(files, root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, strings.TrimPrefix(path, root))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := files.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading embedded %s: %w", path, err)
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			return fmt.Errorf("writing webapp file %s: %w", path, err)
		}
		return nil
	})
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

// xmlEscape makes s safe inside an XML attribute value.
func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // writing to a strings.Builder cannot fail
	return b.String()
}
