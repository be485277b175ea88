package commands

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rollcd/roll/cmd/internal/ui"
	"github.com/rollcd/roll/pkg/admin"
	"github.com/rollcd/roll/pkg/deploy"
)

func init() {
	register(&cli.Command{
		Name:      "status",
		Usage:     "show what runs, what serves and what drains",
		ArgsUsage: "[SERVICE]",
		Description: `Per service: its containers (name, image, created, state, health) joined with the
   gateway's view (activation, in-flight requests, live sessions, requests, errors),
   and the last deploys.

EXAMPLES:
   roll status
   roll status app --watch
   roll status --json | jq '.services[] | select(.service=="app")'`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document"},
			&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Usage: "refresh every 2 seconds until Ctrl-C"},
			&cli.IntFlag{Name: "deploys", Value: 3, Usage: "show the last `N` deploys per service"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usageError{fmt.Errorf("status takes at most one SERVICE, got %v", c.Args().Slice())}
			}
			return runStatus(c, c.Args().First(), c.Bool("json"), c.Bool("watch"), c.Int("deploys"))
		},
	})
}

// statusDoc is `roll status --json`.
type statusDoc struct {
	Project  string                 `json:"project"`
	Gateway  gatewayDoc             `json:"gateway"`
	Services []deploy.ServiceReport `json:"services"`
}

type gatewayDoc struct {
	Service  string `json:"service,omitempty"`
	AdminURL string `json:"admin_url,omitempty"`
	Error    string `json:"error,omitempty"`
}

func runStatus(c *cli.Context, only string, jsonOut, watch bool, deploys int) error {
	e, err := openEnv(c, false)
	if err != nil {
		return err
	}
	defer e.Close()
	services := e.project.ServiceNames()
	if only != "" {
		if _, err := e.project.Service(only); err != nil {
			return err
		}
		services = []string{only}
	}
	gw := gatewayDoc{Service: e.project.Settings.Gateway}
	var g deploy.Gateway
	if gw.Service != "" {
		if client, err := gatewayClient(c, e); err != nil {
			gw.Error = err.Error()
		} else {
			gw.AdminURL = client.BaseURL()
			g = client
		}
	}
	term := ui.NewTerm(out(), c.Bool("no-color"))
	for {
		doc := statusDoc{Project: e.project.Name, Gateway: gw}
		for _, s := range services {
			_, rolled := e.project.Rolled(s)
			rep, err := deploy.Report(c.Context, e.engine, g, s, rolled && g != nil, deploys)
			if err != nil {
				return err
			}
			doc.Services = append(doc.Services, rep)
		}
		if jsonOut {
			enc := json.NewEncoder(out())
			enc.SetIndent("", "  ")
			if err := enc.Encode(doc); err != nil {
				return err
			}
		} else {
			if watch && term.TTY {
				fmt.Fprint(term.Out, "\033[H\033[2J")
			}
			printStatus(term, doc)
		}
		if !watch {
			return nil
		}
		select {
		case <-c.Context.Done():
			return nil // Ctrl-C ends a watch; it is not a failure
		case <-time.After(2 * time.Second):
		}
	}
}

func printStatus(t *ui.Term, doc statusDoc) {
	fmt.Fprintf(t.Out, "%s %s", t.Bold("project"), doc.Project)
	if doc.Gateway.Service != "" {
		fmt.Fprintf(t.Out, "   gateway %s", doc.Gateway.Service)
		if doc.Gateway.AdminURL != "" {
			fmt.Fprintf(t.Out, " (%s)", doc.Gateway.AdminURL)
		}
	}
	fmt.Fprintln(t.Out)
	if doc.Gateway.Error != "" {
		fmt.Fprintf(t.Out, "%s %s\n", t.Yellow("gateway:"), doc.Gateway.Error)
	}
	for _, s := range doc.Services {
		fmt.Fprintln(t.Out)
		title := s.Service
		if s.Rolled {
			title += t.Dim("  (rolled through the gateway)")
		}
		fmt.Fprintln(t.Out, t.Bold(title))
		if s.GatewayErr != "" {
			fmt.Fprintf(t.Out, "  %s %s\n", t.Yellow("gateway:"), s.GatewayErr)
		}
		if len(s.Containers) == 0 && len(s.Orphans) == 0 {
			fmt.Fprintln(t.Out, t.Dim("  no containers"))
			continue
		}
		// On Swarm each container is a task on some node: the column shows where it runs.
		nodes := slices.ContainsFunc(s.Containers, func(c deploy.ContainerReport) bool { return c.Node != "" })
		head := []string{"  CONTAINER", "IMAGE", "CREATED", "STATE", "HEALTH"}
		if nodes {
			head = append(head, "NODE")
		}
		tb := ui.NewTable(append(head, "GATEWAY", "IN-FLIGHT", "SESSIONS", "REQUESTS", "5XX", "ERRORS", "P95 (1M)")...)
		for _, c := range s.Containers {
			row := []ui.Cell{ui.Plain("  " + c.Name), ui.Plain(c.Image), ui.Plain(ago(c.Created)), stateCell(t, c.State), ui.Plain(dash(c.Health))}
			if nodes {
				row = append(row, ui.Plain(dash(c.Node)))
			}
			row = append(row, backendCells(t, c.Backend, s.Rolled)...)
			tb.Row(row...)
		}
		for _, b := range s.Orphans {
			b := b
			row := []ui.Cell{ui.Plain("  " + b.Name), ui.Plain(b.Meta["image"]), ui.Plain("-"), {Text: "no container", Paint: t.Yellow}, ui.Plain("-")}
			if nodes {
				row = append(row, ui.Plain("-"))
			}
			tb.Row(append(row, backendCells(t, &b, true)...)...)
		}
		tb.Write(t)
		for _, line := range ui.GateLines(t, s.Pause, s.Maintenance) {
			fmt.Fprintf(t.Out, "  %s\n", line)
		}
		if s.Canary != nil {
			fmt.Fprintf(t.Out, "  %s\n", ui.CanaryLine(t, *s.Canary))
		} else if s.Rollout != nil {
			fmt.Fprintf(t.Out, "  %s %s %s\n", t.Yellow("rollout:"), s.Rollout.Step, s.Rollout.Message)
		}
		if line := ui.WatchLine(t, s.Watch); line != "" {
			fmt.Fprintf(t.Out, "  %s\n", line)
		}
		for _, d := range s.Deploys {
			fmt.Fprintf(t.Out, "  %s %s %-11s %s %s\n", t.Dim("deploy"), d.Started.Local().Format("2006-01-02 15:04:05"),
				d.Outcome, d.Meta["image"], t.Dim(d.Message))
		}
	}
}

func backendCells(t *ui.Term, b *admin.BackendStatus, rolled bool) []ui.Cell {
	if b == nil {
		if rolled {
			return []ui.Cell{{Text: "unknown", Paint: t.Yellow}}
		}
		return []ui.Cell{ui.Plain("-")}
	}
	act := ui.Cell{Text: b.Activation.String()}
	switch b.Activation {
	case admin.Active:
		act.Paint = t.Green
	case admin.Draining:
		act.Paint = t.Yellow
	default:
		act.Paint = t.Dim
	}
	if !b.Healthy {
		act.Text += ", down"
		act.Paint = t.Red
	}
	return []ui.Cell{act, ui.Plain(strconv.FormatInt(b.InFlight, 10)), ui.Plain(strconv.FormatInt(b.Sessions, 10)),
		ui.Plain(strconv.FormatUint(b.Requests, 10)), ui.Plain(strconv.FormatUint(b.Responses.ServerError, 10)),
		ui.Plain(strconv.FormatUint(b.Errors, 10)), ui.Plain(p95Text(b.P95Seconds))}
}

// p95Text is a backend's p95 over the last minute as the table shows it: "-" when it answered
// nothing in that minute.
func p95Text(seconds float64) string {
	if seconds <= 0 {
		return "-"
	}
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}

func stateCell(t *ui.Term, state string) ui.Cell {
	c := ui.Cell{Text: state}
	if state == "running" {
		c.Paint = t.Green
	} else {
		c.Paint = t.Red
	}
	return c
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}
