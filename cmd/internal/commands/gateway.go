package commands

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/pkg/gateway"
)

func init() { register(gatewayCommand()) }

func gatewayCommand() *cli.Command {
	return &cli.Command{
		Name:  "gateway",
		Usage: "run the load-balancing AJP13/HTTP gateway (the front door of the compose project)",
		Description: "Serves the public listener, and on the admin listener the admin API (/v1), /healthz, a live " +
			"status page (/status), /status.json and Prometheus /metrics. SIGTERM stops it gracefully.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "listen", Value: gateway.DefaultListen, EnvVars: []string{"ROLL_LISTEN"}, Usage: "public `ADDRESS` (host:port)"},
			&cli.StringFlag{Name: "admin", Value: gateway.DefaultAdminListen, EnvVars: []string{"ROLL_ADMIN"}, Usage: "admin API, status and metrics `ADDRESS`; keep it on loopback or a private network"},
			&cli.StringFlag{Name: "admin-token", EnvVars: []string{"ROLL_ADMIN_TOKEN"}, Usage: "admin API bearer `TOKEN` (required, or --admin-token-file)"},
			&cli.StringFlag{Name: "admin-token-file", EnvVars: []string{"ROLL_ADMIN_TOKEN_FILE"}, Usage: "read the admin token from `FILE` (a Docker secret, for example)"},
			&cli.StringFlag{Name: "state", EnvVars: []string{"ROLL_STATE"}, Usage: "keep the routing table in `FILE` so it survives restarts (empty: memory only)"},
			&cli.BoolFlag{Name: "public-status", EnvVars: []string{"ROLL_PUBLIC_STATUS"}, Usage: "serve /status, /status.json and /metrics without the token"},
			&cli.BoolFlag{Name: "access-log", EnvVars: []string{"ROLL_ACCESS_LOG"}, Usage: "log one line per proxied request"},
			&cli.DurationFlag{Name: "shutdown-timeout", Value: gateway.DefaultShutdownTimeout, EnvVars: []string{"ROLL_SHUTDOWN_TIMEOUT"}, Usage: "how long in-flight requests may finish after SIGTERM"},
			&cli.DurationFlag{Name: "body-read-timeout", Value: gateway.DefaultBodyReadTimeout, EnvVars: []string{"ROLL_BODY_READ_TIMEOUT"}, Usage: "longest a client may send nothing while its request body is due; past it the client gets 408"},
			&cli.DurationFlag{Name: "write-timeout", Value: gateway.DefaultWriteTimeout, EnvVars: []string{"ROLL_WRITE_TIMEOUT"}, Usage: "longest one write of an answer to a client may block; a client that stops reading is cut off"},
			&cli.DurationFlag{Name: "dial-timeout", Value: gateway.DefaultDialTimeout, EnvVars: []string{"ROLL_DIAL_TIMEOUT"}, Usage: "backend connect timeout"},
			&cli.DurationFlag{Name: "reply-timeout", EnvVars: []string{"ROLL_REPLY_TIMEOUT"}, DefaultText: "no limit, like mod_jk", Usage: "longest a backend may stay silent (between two AJP packets, or before HTTP headers); past it the client gets 504"},
			&cli.StringSliceFlag{Name: "trusted-proxy", EnvVars: []string{"ROLL_TRUSTED_PROXIES"}, Usage: "`CIDR` of a proxy in front of the gateway (a load balancer) whose X-Forwarded-For/-Proto/-Host are believed; repeat or comma-separate"},
			&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: []string{"ROLL_LOG_LEVEL"}, Usage: "debug, info, warn or error"},
			&cli.StringFlag{Name: "log-format", Value: "text", EnvVars: []string{"ROLL_LOG_FORMAT"}, Usage: "text or json"},
			&cli.StringFlag{Name: "memory-target", Value: defaultMemoryTarget, EnvVars: []string{"ROLL_MEMORY_TARGET"}, Usage: "Go memory the gateway keeps near, collecting garbage earlier as it nears it; never below 1.5× the live heap (`SIZE` like 40MiB; 0: Go's default; GOMEMLIMIT wins)"},
		}, tlsFlags()...),
		Action: func(c *cli.Context) error {
			cfg, err := gatewayConfig(c)
			if err != nil {
				return usageError{err}
			}
			setGatewayProcs(os.Getenv, cfg.Logger)
			g, err := gateway.New(cfg)
			if err != nil {
				if errors.Is(err, gateway.ErrNoAdminToken) {
					return usageError{err}
				}
				return fmt.Errorf("starting the gateway: %w", err)
			}
			reloadOnHangup(c.Context, g, cfg.Logger)
			return g.Run(c.Context)
		},
	}
}

// gatewayConfig turns the flags into a gateway.Config and checks their combinations.
func gatewayConfig(c *cli.Context) (gateway.Config, error) {
	token := c.String("admin-token")
	if file := c.String("admin-token-file"); file != "" {
		if token != "" {
			return gateway.Config{}, errors.New("--admin-token and --admin-token-file both given: use one")
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return gateway.Config{}, fmt.Errorf("reading the admin token file: %w", err)
		}
		token = strings.TrimSpace(string(data))
	}
	trusted, err := parseTrustedProxies(c.StringSlice("trusted-proxy"))
	if err != nil {
		return gateway.Config{}, err
	}
	logger, err := newLogger(c.String("log-level"), c.String("log-format"), c.App.ErrWriter)
	if err != nil {
		return gateway.Config{}, err
	}
	tlsCfg, err := tlsConfig(c)
	if err != nil {
		return gateway.Config{}, err
	}
	memTarget, err := gatewayMemoryTarget(c.String("memory-target"), os.Getenv, logger)
	if err != nil {
		return gateway.Config{}, err
	}
	cfg := gateway.Config{
		Listen:          c.String("listen"),
		AdminListen:     c.String("admin"),
		AdminToken:      token,
		StatePath:       c.String("state"),
		PublicStatus:    c.Bool("public-status"),
		AccessLog:       c.Bool("access-log"),
		ShutdownTimeout: c.Duration("shutdown-timeout"),
		DialTimeout:     c.Duration("dial-timeout"),
		BodyReadTimeout: c.Duration("body-read-timeout"),
		WriteTimeout:    c.Duration("write-timeout"),
		ReplyTimeout:    c.Duration("reply-timeout"),
		TrustedProxies:  trusted,
		MemoryTarget:    memTarget,
		TLS:             tlsCfg,
		Logger:          logger,
	}
	if host, _, err := net.SplitHostPort(cfg.AdminListen); err == nil {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			logger.Warn("admin API listens beyond loopback; keep that network private", "admin", cfg.AdminListen)
		}
	}
	return cfg, nil
}

// newLogger builds the one slog handler of the process.
func newLogger(level, format string, w interface{ Write([]byte) (int, error) }) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// parseTrustedProxies reads --trusted-proxy values: CIDRs, or single addresses.
func parseTrustedProxies(values []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if p, err := netip.ParsePrefix(part); err == nil {
				out = append(out, p.Masked())
				continue
			}
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("--trusted-proxy %q: want a CIDR like 10.0.0.0/8 or an address", part)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out, nil
}
