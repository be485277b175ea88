package dockerx

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/docker/client"
)

// endpoint is where the engine is, chosen the way the docker CLI chooses it.
type endpoint struct {
	// host is the engine address; "" leaves the client's own choice
	// (DOCKER_HOST or the default socket).
	host string
	// context names the docker context the address came from, if any.
	context string
	// tlsDir holds the context's ca.pem, cert.pem and key.pem, if it has them.
	tlsDir        string
	skipTLSVerify bool
	// ssh is set for ssh:// engines, which are reached through an ssh
	// process per connection rather than a socket.
	ssh *sshEngine
}

// contextMeta is the part of a docker context's meta.json that roll reads.
type contextMeta struct {
	Name      string `json:"Name"`
	Endpoints map[string]struct {
		Host          string `json:"Host"`
		SkipTLSVerify bool   `json:"SkipTLSVerify"`
	} `json:"Endpoints"`
}

// resolveEndpoint applies the docker CLI's precedence: DOCKER_HOST wins, then
// DOCKER_CONTEXT, then the currentContext of config.json; the context named
// "default" is the default socket.
func resolveEndpoint() (endpoint, error) {
	if os.Getenv(client.EnvOverrideHost) != "" {
		return withSSH(endpoint{})
	}
	configDir := os.Getenv("DOCKER_CONFIG")
	if configDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return endpoint{}, nil // no home: the default socket is all that is left
		}
		configDir = filepath.Join(home, ".docker")
	}
	name := os.Getenv("DOCKER_CONTEXT")
	if name == "" {
		data, err := os.ReadFile(filepath.Join(configDir, "config.json"))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return endpoint{}, noEngine("reading the docker CLI configuration", err)
		default:
			var cfg struct {
				CurrentContext string `json:"currentContext"`
			}
			if err := json.Unmarshal(data, &cfg); err != nil {
				return endpoint{}, noEngine("reading "+filepath.Join(configDir, "config.json"), err)
			}
			name = cfg.CurrentContext
		}
	}
	if name == "" || name == "default" {
		return endpoint{}, nil
	}
	return contextEndpoint(configDir, name)
}

// contextEndpoint reads a named context from the CLI's context store, where
// each context lives in a directory named after the SHA-256 of its name.
func contextEndpoint(configDir, name string) (endpoint, error) {
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	metaPath := filepath.Join(configDir, "contexts", "meta", id, "meta.json")
	data, err := os.ReadFile(metaPath)
	if err != nil {
		return endpoint{}, noEngine(fmt.Sprintf("reading docker context %q (check `docker context ls`)", name), err)
	}
	var meta contextMeta
	if err := json.Unmarshal(data, &meta); err != nil {
		return endpoint{}, noEngine(fmt.Sprintf("reading docker context %q from %s", name, metaPath), err)
	}
	docker, ok := meta.Endpoints["docker"]
	if !ok || docker.Host == "" {
		return endpoint{}, noEngine(fmt.Sprintf("docker context %q has no docker endpoint", name), nil)
	}
	ep := endpoint{host: docker.Host, context: name, skipTLSVerify: docker.SkipTLSVerify}
	tlsDir := filepath.Join(configDir, "contexts", "tls", id, "docker")
	if _, err := os.Stat(tlsDir); err == nil {
		ep.tlsDir = tlsDir
	}
	return withSSH(ep)
}

// withSSH prepares an ssh:// engine, from DOCKER_HOST or the context, to be
// dialled through ssh as the docker CLI does; other engines pass unchanged.
func withSSH(ep endpoint) (endpoint, error) {
	host := ep.host
	if host == "" {
		host = os.Getenv(client.EnvOverrideHost)
	}
	if !strings.HasPrefix(host, "ssh://") {
		return ep, nil
	}
	s, err := parseSSH(host)
	if err != nil {
		return endpoint{}, noEngine("configuring the Docker client for "+ep.describe(), err)
	}
	ep.ssh = s
	return ep, nil
}

// options turns the endpoint into client options, applied after FromEnv.
func (e endpoint) options() []client.Opt {
	if e.ssh != nil {
		return []client.Opt{client.WithHost(sshPlaceholderHost), client.WithDialContext(e.ssh.dial)}
	}
	if e.host == "" {
		return nil
	}
	opts := []client.Opt{client.WithHost(e.host)}
	if e.tlsDir != "" || e.skipTLSVerify {
		opts = append(opts, e.withTLS)
	}
	return opts
}

// withTLS configures the transport from the context's TLS material.
func (e endpoint) withTLS(c *client.Client) error {
	tr, ok := c.HTTPClient().Transport.(*http.Transport)
	if !ok {
		return fmt.Errorf("configuring TLS for docker context %q: unexpected transport %T", e.context, c.HTTPClient().Transport)
	}
	cfg := &tls.Config{InsecureSkipVerify: e.skipTLSVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // the context asks for it
	if e.tlsDir != "" {
		if ca, err := os.ReadFile(filepath.Join(e.tlsDir, "ca.pem")); err == nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ca) {
				return fmt.Errorf("reading the CA of docker context %q: no certificate in ca.pem", e.context)
			}
			cfg.RootCAs = pool
		}
		cert, key := filepath.Join(e.tlsDir, "cert.pem"), filepath.Join(e.tlsDir, "key.pem")
		if _, err := os.Stat(cert); err == nil {
			pair, err := tls.LoadX509KeyPair(cert, key)
			if err != nil {
				return fmt.Errorf("reading the client certificate of docker context %q: %w", e.context, err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
	}
	tr.TLSClientConfig = cfg
	return nil
}

// describe names the engine address and where it came from, for errors.
func (e endpoint) describe() string {
	switch {
	case e.context != "":
		return fmt.Sprintf("%s (docker context %q)", redacted(e.host), e.context)
	case os.Getenv(client.EnvOverrideHost) != "":
		return fmt.Sprintf("%s (DOCKER_HOST)", redacted(os.Getenv(client.EnvOverrideHost)))
	default:
		return client.DefaultDockerHost
	}
}

// redacted hides a password in an engine address, should one be there.
func redacted(host string) string {
	if u, err := url.Parse(host); err == nil {
		return u.Redacted()
	}
	return host
}
