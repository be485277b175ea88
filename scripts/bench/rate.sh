# shellcheck shell=bash
# rate.sh — the equal-rate part of scripts/bench-gateway.sh. wrk keeps its 32 connections busy, so
# each front end is measured at the rate it can reach; a faster one drives the Tomcats harder (more
# sessions per second on hello.jsp, so longer young collections) and its p99 pays for it. Here every
# front end gets the same constant rate, open loop (a request leaves at its time whether or not the
# earlier ones came back: vegeta starts another worker whenever all of them wait, and a wait for a
# free connection counts in the latency), over the same number of keep-alive connections: latency and CPU per request are then compared at equal work. The tool is vegeta,
# built from its Go module into build/tools. Sourced, never run; needs lib.sh and measure.sh.

VEGETA_VERSION=v12.13.0
VEGETA=""

# install_vegeta: build/tools/vegeta at VEGETA_VERSION, built with `go install` when missing.
install_vegeta() {
  local dir=$ROOT/build/tools
  VEGETA=$dir/vegeta
  # go install stamps no -version; the module version is in the binary's build information.
  if [[ -x $VEGETA ]] && go version -m "$VEGETA" 2>/dev/null | grep -q "^[[:space:]]*mod[[:space:]].*[[:space:]]$VEGETA_VERSION[[:space:]]"; then return 0; fi
  log "building vegeta $VEGETA_VERSION into $dir (go install)"
  mkdir -p "$dir"
  GOBIN=$dir go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" ||
    die "could not build vegeta $VEGETA_VERSION (RATES=off runs without the equal-rate part)"
}

# json_number FILE KEY: the first number after "KEY": in vegeta's one-line JSON report.
json_number() {
  grep -o "\"$2\":[-0-9.e+]*" "$1" | head -1 | cut -d: -f2
}

# vegeta_summary FILE: "requests req_per_s p50_ms p90_ms p99_ms max_ms errors" from
# `vegeta report -type=json`. errors: requests that got no 2xx/3xx answer.
vegeta_summary() {
  local f=$1 reqs thr success lat
  reqs=$(json_number "$f" requests) thr=$(json_number "$f" throughput) success=$(json_number "$f" success)
  [[ -n $reqs && -n $thr && -n $success ]] || { log "unreadable vegeta report in $f"; return 1; }
  lat=$(grep -o '"latencies":{[^}]*}' "$f")
  awk -v l="$lat" -v n="$reqs" -v t="$thr" -v s="$success" 'BEGIN {
    gsub(/[{}"]/, "", l); sub(/^latencies:/, "", l)
    k = split(l, kv, ","); for (i = 1; i <= k; i++) { split(kv[i], p, ":"); ms[p[1]] = p[2] / 1e6 }
    printf "%d %.1f %.3f %.3f %.3f %.3f %d\n", n, t, ms["50th"], ms["90th"], ms["99th"], ms["max"], n * (1 - s) + 0.5
  }'
}

# rate_once FRONT_END ROUND RATE: one constant-rate run of DURATION, appended to $OUT/rates.tsv
# (runs.tsv's columns, then rate, p90 and max). CPU is counted as in run_once (run_ticks, run_cpu).
rate_once() {
  local fe=$1 round=$2 rate=$3 out="$OUT/rate-$2-$1-$(page_name)-$3"
  local reqs rps p50 p90 p99 max errs front_us tomcat_us others
  run_ticks "$fe" BEGIN
  local TIMEFORMAT='%3U %3S'
  { time "$VEGETA" attack -targets=<(echo "GET $(fe_url "$fe" "$round")") -rate="$rate/1s" -duration="$DURATION" \
    -connections="$CONNECTIONS" -max-connections="$CONNECTIONS" -workers="$CONNECTIONS" -timeout=10s \
    -output="$out.bin" 2>"$out.err"; } 2>"$out.time"
  run_ticks "$fe" END
  "$VEGETA" report -type=json "$out.bin" >"$out.json" && rm -f "$out.bin"
  [[ -s $out.err ]] || rm -f "$out.err"
  read -r reqs rps p50 p90 p99 max errs < <(vegeta_summary "$out.json") || die "rate run $round of $fe: see $out.json"
  read -r front_us tomcat_us others < <(run_cpu "$fe" "$reqs" "$out.time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$PAGE" "$fe" "$(fe_label "$fe")" "$rps" "$p50" "$p99" \
    "$front_us" "$tomcat_us" "$errs" "$others" "$reqs" "$rate" "$p90" "$max" >>"$OUT/rates.tsv"
  log "rate $rate round $round $(page_name) $(printf '%-10s' "$fe") $rps req/s  p50 ${p50}ms  p90 ${p90}ms  p99 ${p99}ms  max ${max}ms  front ${front_us}µs/req  tomcat ${tomcat_us}µs/req  failed $errs  others ${others}%"
}

# page_rates PAGE: the constant rates for PAGE. RATES of numbers applies to every page; auto takes
# RATE_SHARE (0.5) of the lowest median req/s any front end reached on PAGE in the wrk rounds, in
# hundreds, so that every front end can keep up and the slowest is not measured at its limit.
page_rates() {
  if [[ $RATES != auto ]]; then echo "$RATES"; return; fi
  awk -v LOWEST=1 -f "$BENCH_DIR/summary.awk" "$OUT/runs.tsv" |
    awk -F'\t' -v pg="$1" -v share="${RATE_SHARE:-0.5}" '$1 == pg && $2 > 0 { printf "%d\n", int($2 * share / 100) * 100 }'
}
