#!/usr/bin/env bash
# bench-tls.sh — roll's gateway terminating TLS against nginx terminating TLS, in front of the same
# two Tomcat 10.1, in one interleaved run on this machine, all on loopback. Figures of a quiet run
# are in docs/benchmarks.md ("TLS termination"); run it on a quiet machine, as they were.
#
#   scripts/bench-tls.sh [ROUNDS] [DURATION]        # default 3 rounds of 10s runs, keep-alive clients
#   HANDSHAKES=1 scripts/bench-tls.sh 3 10s         # every request on a new connection: a full handshake each
#
# Front ends: nginx (TLS, HTTP/1.1 to both Tomcats' HTTP connectors, upstream keepalive 64, as
# scripts/bench/nginx.sh), roll with TLS to the Tomcats' HTTP connectors (the same backends as
# nginx) and roll with TLS to their AJP connectors. All serve one ECDSA P-256 certificate made with
# openssl for this run, TLS 1.2 and 1.3 (wrk and both servers settle on TLS 1.3), HTTP/1.1 (wrk
# speaks no HTTP/2). It reuses scripts/bench/ (Tomcats, roll, wrk parsing, CPU per request,
# summary table) and writes $OUT/results.md like scripts/bench-gateway.sh.
#
# Environment (defaults): ROUNDS (3), DURATION (10s), WARMUP (5s), THREADS (2), CONNECTIONS (32),
#   PAGES (/app/nosession.jsp), HANDSHAKES (0), TOMCAT_HEAP (512m), ROLL_ENV (),
#   OUT (build/bench/tls-<time>), INSTALL (1: apt-get what is missing), SKIP_BUILD (0), KEEP_WORK (0)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=$ROOT/scripts/bench
export PATH=/usr/local/go/bin:$PATH
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
# shellcheck source=bench/tomcat.sh
source "$BENCH_DIR/tomcat.sh"
# shellcheck source=bench/roll.sh
source "$BENCH_DIR/roll.sh"
# shellcheck source=bench/measure.sh
source "$BENCH_DIR/measure.sh"
# shellcheck source=bench/nginx.sh
source "$BENCH_DIR/nginx.sh"

[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^# shellcheck/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }
ROUNDS=${1:-${ROUNDS:-3}}
DURATION=${2:-${DURATION:-10s}}
[[ $DURATION =~ ^[0-9]+$ ]] && DURATION+=s
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive number, got '$ROUNDS'"
[[ $DURATION =~ ^[0-9]+[smh]$ ]] || die "DURATION must look like 10s, got '$DURATION'"
WARMUP=${WARMUP:-5s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
HANDSHAKES=${HANDSHAKES:-0}
read -r -a PAGES <<<"${PAGES:-/app/nosession.jsp}"
PAGE=${PAGES[0]}
MEM_CLIENTS=${MEM_CLIENTS:-1000} # sizes nginx's connection limits, as in bench-gateway.sh
OUT=${OUT:-$ROOT/build/bench/tls-$(date +%Y%m%d-%H%M%S)}
KEEP_WORK=${KEEP_WORK:-0}
SECRET=bench-ajp-secret-$RANDOM$RANDOM
WRK_ARGS=()
[[ $HANDSHAKES == 1 ]] && WRK_ARGS=(-H 'Connection: close') # wrk reconnects after every answer

install_missing() { install_packages tomcat10 default-jre-headless nginx-light wrk curl openssl; }

WORK=""
TOMCAT_PIDS=()
cleanup() {
  local rc=$?
  set +e
  stop_pids "${ROLL_PIDS[@]}" "${NGINX_PIDS[@]}" "${TOMCAT_PIDS[@]}"
  keep_or_remove_work "$rc"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# make_cert DIR: a CA and a localhost certificate (ECDSA P-256), DIR/localhost.crt and .key.
make_cert() {
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench CA" \
    -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$1/localhost.key" -out "$WORK/localhost.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$WORK/ext"
  openssl x509 -req -in "$WORK/localhost.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial \
    -days 2 -extfile "$WORK/ext" -out "$1/localhost.crt" 2>/dev/null
}

# roll_tls_start NAME PORT TLS_PORT ADMIN_PORT: roll_start with the TLS listener, through the
# flags' environment variables.
roll_tls_start() {
  local saved=${ROLL_ENV:-}
  ROLL_ENV="$saved ROLL_TLS_LISTEN=127.0.0.1:$3 ROLL_TLS_CERT_DIR=$WORK/certs"
  roll_start "$1" "$2" "$4"
  ROLL_ENV=$saved
}

# The front ends of this run, for measure.sh's run_once (these replace its definitions).
fe_label() {
  case $1 in
  nginx-tls) echo "nginx TLS → HTTP (keepalive 64)" ;;
  roll-tls-http) echo "roll TLS → HTTP" ;;
  roll-tls) echo "roll TLS → AJP" ;;
  esac
}
fe_port() {
  case $1 in
  nginx-tls) echo "$NGINX_TLS_PORT" ;;
  roll-tls-http) echo "$ROLL_HTTP_TLS_PORT" ;;
  roll-tls) echo "$ROLL_TLS_PORT" ;;
  esac
}
fe_url() { echo "https://127.0.0.1:$(fe_port "$1" "$2")$PAGE"; }
fe_pids() { [[ $1 == nginx-tls ]] && nginx_pids nginx-tls || echo "${ROLL_PIDS[$1]}"; }
fe_ticks() { [[ $1 == nginx-tls ]] && tree_ticks "${NGINX_PIDS[nginx-tls]}" || cpu_ticks "${ROLL_PIDS[$1]}"; }
# wrk with the run's extra arguments (Connection: close for HANDSHAKES=1), for run_once.
wrk() { command wrk "${WRK_ARGS[@]}" "$@"; }

install_missing
ulimit -n $((MEM_CLIENTS * 3 + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  log "building roll (make build)"
  make -C "$ROOT" -s build >/dev/null
fi
WORK=$(mktemp -d -t roll-bench-tls.XXXXXX)
mkdir -p "$OUT" "$WORK/bin" && cp "$ROOT/build/roll" "$WORK/bin/roll"
make_cert "$WORK/certs"
export CURL_CA_BUNDLE=$WORK/ca.pem # wait_http's curl checks the https front ends against the run's CA

HTTP1=$(free_port) HTTP2=$(free_port) AJP1=$(free_port) AJP2=$(free_port)
tomcat_start tomcat1 "$HTTP1" "$AJP1" "$SECRET"
tomcat_start tomcat2 "$HTTP2" "$AJP2" "$SECRET"
tomcat_ready tomcat1 "$HTTP1" "${TOMCAT_PIDS[0]}"
tomcat_ready tomcat2 "$HTTP2" "${TOMCAT_PIDS[1]}"

NGINX_TLS_PORT=$(free_port)
NGINX_TLS_DIR=$WORK/certs nginx_start nginx-tls "$NGINX_TLS_PORT" "$HTTP1" "$HTTP2"
wait_http "$(fe_url nginx-tls 0)" 30 "${NGINX_PIDS[nginx-tls]}" || die "nginx does not serve $PAGE over TLS; see $WORK/nginx/logs"
ROLL_TLS_PORT=$(free_port) ROLL_HTTP_TLS_PORT=$(free_port) ROLL_TLS_ADMIN=$(free_port) ROLL_HTTP_TLS_ADMIN=$(free_port)
roll_tls_start roll-tls "$(free_port)" "$ROLL_TLS_PORT" "$ROLL_TLS_ADMIN"
roll_register "$ROLL_TLS_ADMIN" ajp "$SECRET" "tomcat1:$AJP1" "tomcat2:$AJP2"
roll_tls_start roll-tls-http "$(free_port)" "$ROLL_HTTP_TLS_PORT" "$ROLL_HTTP_TLS_ADMIN"
roll_register "$ROLL_HTTP_TLS_ADMIN" http "" "tomcat1:$HTTP1" "tomcat2:$HTTP2"
FRONT_ENDS=(nginx-tls roll-tls-http roll-tls)
for fe in "${FRONT_ENDS[@]}"; do
  wait_http "$(fe_url "$fe" 0)" 30 || die "$fe does not serve $PAGE over TLS"
done

describe_machine >"$OUT/machine.txt"
log "machine: $(head -1 "$OUT/machine.txt")"
for PAGE in "${PAGES[@]}"; do
  for fe in "${FRONT_ENDS[@]}"; do
    log "warm-up: $fe $PAGE ($WARMUP)"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$(fe_url "$fe" 0)" >"$OUT/warmup-$fe-$(page_name).txt" 2>&1
  done
done
printf 'round\tpage\tfront_end\tlabel\treq_s\tp50_ms\tp99_ms\tfront_us\ttomcat_us\terrors\tothers_pct\trequests\n' >"$OUT/runs.tsv"
n=${#FRONT_ENDS[@]}
for ((r = 1; r <= ROUNDS; r++)); do
  for PAGE in "${PAGES[@]}"; do
    for ((k = 0; k < n; k++)); do run_once "${FRONT_ENDS[$(((r - 1 + k) % n))]}" "$r"; done
  done
done
{
  echo "### TLS termination: medians of $ROUNDS rounds"
  echo
  mode="keep-alive connections"
  [[ $HANDSHAKES == 1 ]] && mode="a new connection (full handshake) per request"
  echo "\`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency\`, $mode, the order of the front ends rotated every round."
  echo
  awk -f "$BENCH_DIR/summary.awk" "$OUT/runs.tsv"
  echo
  echo "Machine: $(head -1 "$OUT/machine.txt")"
} >"$OUT/results.md"
echo
cat "$OUT/results.md"
log "raw outputs: $OUT"
