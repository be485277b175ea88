#!/usr/bin/env bash
# bench-gateway.sh — roll's gateway against Apache httpd + mod_jk, nginx and Tomcat itself, in one
# run on this machine, all on loopback:
#
#   scripts/bench-gateway.sh [ROUNDS] [DURATION]     # default 3 rounds of 10s runs
#   scripts/bench-gateway.sh --http 5 10s            # also roll → Tomcat over HTTP
#   scripts/bench-gateway.sh --profile 1 20s         # only roll (in-process, with pprof): where the CPU goes
#
# It builds roll (make build), starts two Tomcat 10.1 (own CATALINA_BASE, AJP with a secret, jvmRoute),
# Apache + mod_jk twice (lb over both, sticky; one with ping_mode=CI, one with ping_mode=A), nginx
# (HTTP to both Tomcats, keepalive 64) and `roll gateway` (AJP, set up through its admin API), warms
# each up, then runs interleaved rounds of `wrk -t2 -c32 -d$DURATION --latency` on every page of
# PAGES, the order of the front ends rotated every round. Each run records req/s, p50, p99 and CPU
# per request of the front end's processes and of the JVMs (/proc/<pid>/stat). Then memory: RSS of
# roll, Apache and nginx while 1,000 keep-alive clients hammer them. It prints markdown tables of the
# medians and keeps every raw output in $OUT. Then the same rounds at one constant rate for every
# front end (vegeta, open loop, over as many connections): latency and CPU per request at equal
# work, where wrk's rounds let the faster front end drive the Tomcats harder. Everything it started is stopped on exit, by pid.
#
# Environment (defaults):
#   ROUNDS (3), DURATION (10s)   when not given as arguments
#   WARMUP (5s)                  wrk run per front end and page before the rounds
#   THREADS (2), CONNECTIONS (32)
#   PAGES (/app/nosession.jsp /app/hello.jsp)   nosession: no session; hello: a new HttpSession per
#                                request (wrk keeps no cookies)
#   HTTP_BACKENDS (0)            1 = --http: a second roll gateway, to Tomcat's HTTP connectors
#   PROFILE (0)                  1 = --profile: scripts/bench/gwprof with pprof instead of the comparison
#   RATES (auto)                 the constant rates (req/s) of the equal-rate rounds, e.g. '3000 5000';
#                                auto: RATE_SHARE (0.5) of the lowest median req/s of any front end
#                                on each page in the wrk rounds; off skips them
#   MEM_CLIENTS (1000), MEM_SECONDS (20; 0 skips the memory part), MEM_SETTLE (3: RSS again this many s after)
#   APACHE_WORKERS (128)         each benchmarked Apache: 2 processes × 64 threads; the memory part adds
#                                a third Apache with one worker per client
#   JK_PING_MODE (CI)            the ping_mode of the first mod_jk; the second always has A (it is
#                                left out when JK_PING_MODE is A)
#   NGINX (1)                    0 leaves nginx out
#   TOMCAT_AJP_ATTRS ()          extra attributes of both Tomcats' AJP connector, e.g.
#                                'maxThreads="4" minSpareThreads="4"'
#   ROLL_ENV ()                  environment of the roll gateways, e.g. 'GOMAXPROCS=4'
#   ROLL_B_ENV ()                set: one more roll gateway → AJP with this environment instead of
#                                ROLL_ENV ('GOMAXPROCS=4'), measured in the same rounds: an A/B of a setting
#   TOMCAT_GC_LOG (0)            1 = each Tomcat logs its collections to <work>/<route>/logs/gc.log (with KEEP_WORK=1)
#   TOMCAT_HEAP (2g), OUT (build/bench/gateway-<time>), INSTALL (1: apt-get what is missing),
#   SKIP_BUILD (0), KEEP_WORK (0: 1 keeps the temp dir with every config and log)
#   HOLD (0)                     1 = start everything, print the URLs, measure nothing; Ctrl-C stops it
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=$ROOT/scripts/bench
export PATH=/usr/local/go/bin:$PATH
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
# shellcheck source=bench/tomcat.sh
source "$BENCH_DIR/tomcat.sh"
# shellcheck source=bench/apache.sh
source "$BENCH_DIR/apache.sh"
# shellcheck source=bench/nginx.sh
source "$BENCH_DIR/nginx.sh"
# shellcheck source=bench/roll.sh
source "$BENCH_DIR/roll.sh"
# shellcheck source=bench/measure.sh
source "$BENCH_DIR/measure.sh"
# shellcheck source=bench/rate.sh
source "$BENCH_DIR/rate.sh"
# shellcheck source=bench/profile.sh
source "$BENCH_DIR/profile.sh"

HTTP_BACKENDS=${HTTP_BACKENDS:-0}
PROFILE=${PROFILE:-0}
args=()
for a in "$@"; do
  case $a in
  --http) HTTP_BACKENDS=1 ;;
  --profile) PROFILE=1 ;;
  -h | --help) sed -n '2,/^# shellcheck/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) args+=("$a") ;;
  esac
done
ROUNDS=${args[0]:-${ROUNDS:-3}}
DURATION=${args[1]:-${DURATION:-10s}}
[[ $DURATION =~ ^[0-9]+$ ]] && DURATION+=s
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive number, got '$ROUNDS'"
[[ $DURATION =~ ^[0-9]+[smh]$ ]] || die "DURATION must look like 10s, got '$DURATION'"
WARMUP=${WARMUP:-5s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
read -r -a PAGES <<<"${PAGES:-/app/nosession.jsp /app/hello.jsp}"
((${#PAGES[@]})) || die "PAGES is empty"
PAGE=${PAGES[0]}
JK_PING_MODE=${JK_PING_MODE:-CI}
NGINX=${NGINX:-1}
MEM_CLIENTS=${MEM_CLIENTS:-1000}
RATES=${RATES:-auto}
[[ $RATES =~ ^(auto|off|[1-9][0-9]*( [1-9][0-9]*)*)$ ]] || die "RATES must be auto, off or req/s numbers like '3000 5000', got '$RATES'"
MEM_SECONDS=${MEM_SECONDS:-20}
OUT=${OUT:-$ROOT/build/bench/gateway-$(date +%Y%m%d-%H%M%S)}
KEEP_WORK=${KEEP_WORK:-0}
SECRET=bench-ajp-secret-$RANDOM$RANDOM

# ------------------------------------------------------------------ what this machine needs
install_missing() {
  local pkgs=(tomcat10 default-jre-headless apache2 libapache2-mod-jk wrk curl)
  [[ $NGINX == 1 ]] && pkgs+=(nginx-light)
  install_packages "${pkgs[@]}"
  [[ $RATES == off || $PROFILE == 1 || ${HOLD:-0} == 1 ]] || install_vegeta
}

# ------------------------------------------------------------------ clean-up of what we started
WORK=""
WRK_PID=""
HOLD_PID=""
TOMCAT_PIDS=()
cleanup() {
  local rc=$? pid
  set +e
  for pid in $WRK_PID $HOLD_PID; do kill "$pid" 2>/dev/null; done
  stop_pids "${ROLL_PIDS[@]}" "${APACHE_PIDS[@]}" "${NGINX_PIDS[@]}" "${TOMCAT_PIDS[@]}"
  keep_or_remove_work "$rc"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ build and start
install_missing
want_fds=$((MEM_CLIENTS * 3 + 1024))
ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
(($(ulimit -n) >= MEM_CLIENTS * 2 + 100)) || die "ulimit -n is $(ulimit -n): too low for $MEM_CLIENTS clients"

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  log "building roll (make build)"
  make -C "$ROOT" -s build >/dev/null
fi
WORK=$(mktemp -d -t roll-bench.XXXXXX)
chmod 755 "$WORK" # Apache's workers run as www-data
mkdir -p "$OUT"
# A private copy: another `make build` in this checkout must not swap the binary mid-run.
mkdir -p "$WORK/bin" && cp "$ROOT/build/roll" "$WORK/bin/roll"

HTTP1=$(free_port) HTTP2=$(free_port) AJP1=$(free_port) AJP2=$(free_port)
APACHE_PORT=$(free_port) ROLL_PORT=$(free_port) ROLL_ADMIN=$(free_port)
tomcat_start tomcat1 "$HTTP1" "$AJP1" "$SECRET"
tomcat_start tomcat2 "$HTTP2" "$AJP2" "$SECRET"
tomcat_ready tomcat1 "$HTTP1" "${TOMCAT_PIDS[0]}"
tomcat_ready tomcat2 "$HTTP2" "${TOMCAT_PIDS[1]}"
if [[ $PROFILE == 1 ]]; then
  describe_machine >"$OUT/machine.txt"
  profile_gateway "$( ((HTTP_BACKENDS)) && echo http || echo ajp)"
  log "raw outputs: $OUT"
  exit 0
fi
APACHE_WORKERS=${APACHE_WORKERS:-128}
apache_start mod_jk "$APACHE_PORT" "$APACHE_WORKERS" "$JK_PING_MODE" "$SECRET" "tomcat1:$AJP1" "tomcat2:$AJP2"
wait_http "http://127.0.0.1:$APACHE_PORT$PAGE" 30 "${APACHE_PIDS[mod_jk]}" ||
  die "apache + mod_jk does not serve $PAGE; see $WORK/mod_jk/logs"
FRONT_ENDS=(tomcat mod_jk)
if [[ $JK_PING_MODE != A ]]; then
  APACHE_A_PORT=$(free_port)
  apache_start mod_jk-a "$APACHE_A_PORT" "$APACHE_WORKERS" A "$SECRET" "tomcat1:$AJP1" "tomcat2:$AJP2"
  wait_http "http://127.0.0.1:$APACHE_A_PORT$PAGE" 30 "${APACHE_PIDS[mod_jk-a]}" ||
    die "apache + mod_jk (ping_mode=A) does not serve $PAGE; see $WORK/mod_jk-a/logs"
  FRONT_ENDS+=(mod_jk-a)
fi
if [[ $NGINX == 1 ]]; then
  NGINX_PORT=$(free_port)
  nginx_start nginx "$NGINX_PORT" "$HTTP1" "$HTTP2"
  wait_http "http://127.0.0.1:$NGINX_PORT$PAGE" 30 "${NGINX_PIDS[nginx]}" ||
    die "nginx does not serve $PAGE; see $WORK/nginx/logs"
  FRONT_ENDS+=(nginx)
fi
roll_start roll "$ROLL_PORT" "$ROLL_ADMIN"
roll_register "$ROLL_ADMIN" ajp "$SECRET" "tomcat1:$AJP1" "tomcat2:$AJP2"
FRONT_ENDS+=(roll)
if [[ -n ${ROLL_B_ENV:-} ]]; then
  ROLL_B_PORT=$(free_port) ROLL_B_ADMIN=$(free_port)
  ROLL_ENV=$ROLL_B_ENV roll_start roll-b "$ROLL_B_PORT" "$ROLL_B_ADMIN"
  roll_register "$ROLL_B_ADMIN" ajp "$SECRET" "tomcat1:$AJP1" "tomcat2:$AJP2"
  FRONT_ENDS+=(roll-b)
fi
if [[ $HTTP_BACKENDS == 1 ]]; then
  ROLL_HTTP_PORT=$(free_port) ROLL_HTTP_ADMIN=$(free_port)
  roll_start roll-http "$ROLL_HTTP_PORT" "$ROLL_HTTP_ADMIN"
  roll_register "$ROLL_HTTP_ADMIN" http "" "tomcat1:$HTTP1" "tomcat2:$HTTP2"
  FRONT_ENDS+=(roll-http)
fi

# check_balanced FRONT_END: the front end answers the page from both Tomcats.
check_balanced() {
  local url routes="" i body
  url=$(fe_url "$1" 0)
  for ((i = 0; i < 6; i++)); do
    body=$(curl -fsS "$url") || die "$1: GET $url failed"
    routes+=" $(sed -n 's/^route=//p' <<<"$body")"
  done
  [[ $routes == *tomcat1* && $routes == *tomcat2* ]] || log "warning: $1 answered only from:$routes"
}
for fe in "${FRONT_ENDS[@]:1}"; do check_balanced "$fe"; done

describe_machine >"$OUT/machine.txt"
log "machine: $(head -1 "$OUT/machine.txt")"

if [[ ${HOLD:-0} == 1 ]]; then # everything up, nothing measured: for poking by hand
  for fe in "${FRONT_ENDS[@]}"; do log "$(printf '%-10s' "$fe") $(fe_url "$fe" 1)  pids: $(fe_pids "$fe")"; done
  log "tomcat pids: ${TOMCAT_PIDS[*]}; roll admin token: $ROLL_TOKEN; Ctrl-C (or SIGTERM to $$) stops everything"
  sleep infinity &
  HOLD_PID=$!
  wait "$HOLD_PID" # unlike a foreground sleep, wait lets the INT/TERM traps run at once
fi

# ------------------------------------------------------------------ warm-up and interleaved rounds
for PAGE in "${PAGES[@]}"; do
  for fe in "${FRONT_ENDS[@]}"; do
    for r in 0 1; do # direct Tomcat alternates between the two JVMs: warm both
      log "warm-up: $fe $PAGE ($WARMUP)"
      wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$(fe_url "$fe" "$r")" >"$OUT/warmup-$fe-$(page_name)-$r.txt" 2>&1
      [[ $fe == tomcat ]] || break
    done
  done
done

printf 'round\tpage\tfront_end\tlabel\treq_s\tp50_ms\tp99_ms\tfront_us\ttomcat_us\terrors\tothers_pct\trequests\n' >"$OUT/runs.tsv"
n=${#FRONT_ENDS[@]}
for ((r = 1; r <= ROUNDS; r++)); do
  for PAGE in "${PAGES[@]}"; do
    for ((k = 0; k < n; k++)); do
      run_once "${FRONT_ENDS[$(((r - 1 + k) % n))]}" "$r"
    done
  done
done
PAGE=${PAGES[0]}

{
  echo "### Throughput, latency and CPU: medians of $ROUNDS rounds"
  echo
  echo "\`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency\` on each page, the order of the front ends rotated every round."
  echo
  awk -f "$BENCH_DIR/summary.awk" "$OUT/runs.tsv"
} >"$OUT/results.md"

# ------------------------------------------------------------------ the same rounds at equal rates
if [[ $RATES != off ]]; then
  printf 'round\tpage\tfront_end\tlabel\treq_s\tp50_ms\tp99_ms\tfront_us\ttomcat_us\terrors\tothers_pct\trequests\trate\tp90_ms\tmax_ms\n' >"$OUT/rates.tsv"
  for ((r = 1; r <= ROUNDS; r++)); do
    for PAGE in "${PAGES[@]}"; do
      for rate in $(page_rates "$PAGE"); do
        for ((k = 0; k < n; k++)); do
          rate_once "${FRONT_ENDS[$(((r - 1 + k) % n))]}" "$r" "$rate"
        done
      done
    done
  done
  PAGE=${PAGES[0]}
  {
    echo
    echo "### At an equal rate: medians of $ROUNDS rounds"
    echo
    echo "\`vegeta attack -rate=R -duration=$DURATION -connections=$CONNECTIONS -max-connections=$CONNECTIONS\` (open loop: vegeta starts another worker whenever all of them wait, so requests leave on time, and a wait for one of the $CONNECTIONS connections counts in the latency) on each page, the same rate R for every front end, the order rotated every round."
    echo
    awk -v RATED=1 -f "$BENCH_DIR/summary.awk" "$OUT/rates.tsv"
  } >>"$OUT/results.md"
fi

# ------------------------------------------------------------------ memory at MEM_CLIENTS clients
if ((MEM_SECONDS > 0)); then
  {
    echo
    echo "### Memory with $MEM_CLIENTS concurrent keep-alive clients"
    echo
    echo "\`wrk -t$THREADS -c$MEM_CLIENTS -d${MEM_SECONDS}s\` on $PAGE, sampled every second; Apache and nginx sum their processes."
    echo
    echo "| front end | RSS before MiB | RSS peak MiB | PSS peak MiB | RSS right after MiB | RSS ${MEM_SETTLE:-3} s after MiB | open fds peak | client conns peak | req/s | p99 ms | failed requests |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for fe in "${FRONT_ENDS[@]:1}"; do memory_once "$fe"; done
    # The benchmarked Apache has 128 workers and cannot hold MEM_CLIENTS busy clients; one
    # with a worker (and a pooled AJP connection) per client is the fair comparison.
    if ((MEM_CLIENTS > APACHE_WORKERS)); then
      APACHE_WIDE_PORT=$(free_port)
      apache_start mod_jk-wide "$APACHE_WIDE_PORT" "$MEM_CLIENTS" "$JK_PING_MODE" "$SECRET" "tomcat1:$AJP1" "tomcat2:$AJP2"
      wait_http "$(fe_url mod_jk-wide 0)" 30 "${APACHE_PIDS[mod_jk-wide]}" ||
        die "the wide apache + mod_jk does not serve $PAGE; see $WORK/mod_jk-wide/logs"
      memory_once mod_jk-wide
    fi
  } >>"$OUT/results.md"
fi

{
  echo
  echo "Machine: $(head -1 "$OUT/machine.txt")"
} >>"$OUT/results.md"
echo
cat "$OUT/results.md"
log "raw outputs: $OUT"
