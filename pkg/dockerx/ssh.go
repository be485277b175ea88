package dockerx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
)

// sshPlaceholderHost is the engine address the docker client builds its
// request URLs with when the engine is behind ssh: the connection comes from
// sshEngine.dial, which never looks at it.
const sshPlaceholderHost = "http://docker.example.com"

// sshConnectTimeout is ssh's own connect timeout, the docker CLI's choice,
// unless the user's ssh configuration says otherwise.
const sshConnectTimeout = "ConnectTimeout=30"

// sshEngine is an engine reached the way the docker CLI reaches ssh:// hosts:
// every connection runs
//
//	ssh -o ConnectTimeout=30 -T [-l user] [-p port] -- host docker [--host=unix://path] system dial-stdio
//
// and speaks the Engine API over that process's standard streams. Keys,
// known hosts, jump hosts and multiplexing come from the user's ssh
// configuration, as they do for the docker CLI.
type sshEngine struct {
	url  string // as the user wrote it (password hidden), for messages
	host string // the ssh host, where published ports are reached
	args []string
}

// safeSocketPath is what a socket path in an ssh:// address may be made of.
var safeSocketPath = regexp.MustCompile(`^[A-Za-z0-9/._-]+$`)

// parseSSH reads an ssh://[user@]host[:port][/socket/path] engine address.
func parseSSH(raw string) (*sshEngine, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("reading the ssh address: %w", err)
	}
	raw = u.Redacted()
	if u.Scheme != "ssh" {
		return nil, fmt.Errorf("reading the ssh address %q: the scheme is %q, not ssh", raw, u.Scheme)
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		return nil, fmt.Errorf("reading the ssh address %q: a password in the address is not supported; use a key (ssh-agent, ~/.ssh/config)", u.Redacted())
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("reading the ssh address %q: it names no host (ssh://user@host)", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("reading the ssh address %q: query and fragment are not allowed", raw)
	}
	// -T: no terminal, so the stream stays byte-exact and no login shell runs.
	args := []string{"-o", sshConnectTimeout, "-T"}
	if user := u.User.Username(); user != "" {
		args = append(args, "-l", user)
	}
	if port := u.Port(); port != "" {
		args = append(args, "-p", port)
	}
	// "--" ends ssh's options, so a host name can never be read as one.
	args = append(args, "--", u.Hostname(), "docker")
	if path := u.Path; strings.Trim(path, "/") != "" {
		// ssh hands the remote command to the remote shell as one string, so
		// a path is kept to characters that shell reads literally.
		if !safeSocketPath.MatchString(path) {
			return nil, fmt.Errorf("reading the ssh address %q: the socket path %q may hold only letters, digits and / . _ -", raw, path)
		}
		args = append(args, "--host=unix://"+path)
	}
	args = append(args, "system", "dial-stdio")
	return &sshEngine{url: raw, host: u.Hostname(), args: args}, nil
}

// dial starts one ssh process and returns the connection to the engine over
// it. The process outlives ctx: the docker client keeps connections alive
// across requests, and the dial context ends with the request.
func (s *sshEngine) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := startProcessConn("ssh", s.args...)
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("connecting to %s: %w (install the OpenSSH client)", s.url, err)
		}
		return nil, fmt.Errorf("connecting to %s: %w", s.url, err)
	}
	return c, nil
}
