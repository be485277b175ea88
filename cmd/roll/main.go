// Command roll deploys containerised web apps on Docker with zero downtime.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/rollcd/roll/cmd/internal/commands"
)

// version is stamped at build time: -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(commands.Run(ctx, version, os.Args))
}
