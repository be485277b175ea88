#!/usr/bin/env bash
# metrics-cost.sh ROLL_BINARY...: what /metrics costs each given roll binary, for the choice of
# the process and Go runtime collectors (docs/benchmarks.md, "The cost of /metrics"). Each
# binary runs as `roll gateway` on loopback in front of the Go example app (examples/goapp,
# HTTP, its /health page: no session, so the gateway's session set stays empty) and is
# measured the same way: its size; its RSS idle 3 s after the start, before any
# scrape; the median time of 50 scrapes of /metrics, one after the other, and RSS after them;
# its RSS at the end of `wrk -c32 -d10s` (with /metrics scraped every second meanwhile) and 2 s
# after; then at the end of `wrk -c1000 -d8s` and 3 s after (issue 8's "RSS ≤ 32 MiB after the
# run"). Needs
# wrk and curl; prints one line per binary.
#
#   git worktree add --detach ../before bb00744 && (cd ../before && make build) && make build
#   scripts/bench/metrics-cost.sh ../before/build/roll build/roll
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=lib.sh
source scripts/bench/lib.sh
(($# > 0)) || die "usage: $0 ROLL_BINARY..."
command -v wrk >/dev/null || die "needs wrk"

WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
go build -o "$WORK/goapp" ./examples/goapp
APP_PORT=$(free_port)
HTTP_PORT=$APP_PORT AJP_PORT=off APP_VERSION=bench JVM_ROUTE=app1 "$WORK/goapp" >/dev/null 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$APP_PORT/health" 30 "$!" || die "the example app did not start"
TOKEN=bench-metrics-token-$RANDOM$RANDOM

# scrape_ms ADMIN_PORT: one scrape's time in milliseconds.
scrape_ms() {
  curl -fsS -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1/metrics" |
    awk '{printf "%.3f\n", $1 * 1000}'
}

for bin in "$@"; do
  port=$(free_port) admin=$(free_port)
  "$bin" gateway --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" --admin-token "$TOKEN" \
    --log-level warn >"$WORK/gateway.log" 2>&1 </dev/null &
  pid=$!
  PIDS+=("$pid")
  wait_http "http://127.0.0.1:$admin/healthz" 30 "$pid" || die "$bin gateway did not start"
  curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    "http://127.0.0.1:$admin/v1/services/app" -d '{"protocol":"http","health":{"path":"/health","interval":"5s"}}'
  curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    "http://127.0.0.1:$admin/v1/services/app/backends" \
    -d "{\"name\":\"app1\",\"address\":\"127.0.0.1:$APP_PORT\",\"route\":\"app1\",\"activation\":\"active\"}"
  sleep 3
  idle=$(rss_kib "$pid")
  scrape=$(for _ in $(seq 50); do scrape_ms "$admin"; done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  scraped=$(rss_kib "$pid")
  (while kill -0 "$pid" 2>/dev/null; do scrape_ms "$admin" >/dev/null || true; sleep 1; done) &
  scraper=$!
  rps=$(wrk -c32 -t2 -d10s "http://127.0.0.1:$port/health" | awk '/Requests\/sec/{print $2}')
  loaded=$(rss_kib "$pid")
  sleep 2
  after=$(rss_kib "$pid")
  wrk -c1000 -t2 -d8s "http://127.0.0.1:$port/health" >/dev/null
  loaded1k=$(rss_kib "$pid")
  sleep 3 # the gateway returns free memory in the first whole second without a request
  after1k=$(rss_kib "$pid")
  kill "$pid" "$scraper" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  awk -v bin="$bin" -v size="$(stat -c %s "$bin")" -v idle="$idle" -v scraped="$scraped" -v scrape="$scrape" \
    -v rps="$rps" -v loaded="$loaded" -v after="$after" -v loaded1k="$loaded1k" -v after1k="$after1k" 'BEGIN {
      printf "%s: %.1f MB binary; RSS idle %.1f MiB, after 50 scrapes %.1f MiB; scrape %s ms (median); ", bin, size / 1e6, idle / 1024, scraped / 1024, scrape
      printf "%s req/s, RSS at the end of wrk %.1f MiB, 2 s after %.1f MiB; ", rps, loaded / 1024, after / 1024
      printf "1,000 clients: at the end %.1f MiB, 3 s after %.1f MiB\n", loaded1k / 1024, after1k / 1024 }'
done
