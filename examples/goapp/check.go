package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// check is `goapp check PATH`: a request to the app's own HTTP port, as a smoke test a deploy
// runs in the new container before it gets traffic (a roll pre_switch hook). It prints the
// answer's status and first line and succeeds on a 2xx, so an image FROM scratch, without
// a shell or curl, can still check itself.
func check(ctx context.Context, cfg config, path string, out io.Writer) error {
	if cfg.httpAddr == "" {
		return errors.New("HTTP_PORT is off: there is no port to check")
	}
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("path %q: want one that starts with /", path)
	}
	_, port, _ := strings.Cut(cfg.httpAddr, ":")
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	fmt.Fprintf(out, "GET %s: %s %s\n", path, resp.Status, line)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET %s answered %s, want 2xx", path, resp.Status)
	}
	return nil
}
