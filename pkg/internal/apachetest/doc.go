// Package apachetest runs a private Apache httpd 2.4 with mod_jk on loopback for tests: the incumbent
// front door roll's gateway replaces, to compare it with. Each instance has its own ServerRoot (a test's
// temporary directory; nothing under /etc/apache2 is read), a free port on 127.0.0.1, the event MPM with
// one process, no access log, an empty document root, and one mod_jk lb worker over the given AJP13
// members (host:port, secret, route), sticky on jvmRoute unless Options.NoSticky, with
// ping_mode Options.PingMode (default A) and `JkMount /app|/* lb` (Options.Mount).
//
// httpd runs in the foreground (`apache2 -d DIR -f DIR/httpd.conf -DFOREGROUND`) as the test's child and
// is stopped by its pid; as root its workers run as www-data, like a packaged Apache. APACHE_BIN and
// APACHE_MODULES point at another httpd and module directory than Debian's.
//
// Start ties an instance to one test. Require skips a test (or fails it under CI=true) when httpd or
// mod_jk is missing, and skips it with -short.
package apachetest
