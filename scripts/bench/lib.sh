# shellcheck shell=bash
# lib.sh — helpers of scripts/bench-gateway.sh and bench-tls.sh: packages, ports, waiting, stopping,
# process CPU and memory, wrk output. Sourced, never run. Apart from install_packages and stop_pids,
# every function reads only /proc, ss and the files it is given.

log() { echo "[bench] $*" >&2; }
die() { echo "${0##*/}: $*" >&2; exit 1; }

# install_packages PKG...: apt-get install those of the Debian packages not installed, unless
# INSTALL=0 (then it dies naming them). The packages' own services (Apache on :80, the system
# Tomcat, nginx) are kept from starting: the benchmarks run private instances and must leave
# nothing else behind.
install_packages() {
  local missing=() p sudo="" policy=/usr/sbin/policy-rc.d created=0
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  [[ ${INSTALL:-1} == 1 ]] || die "missing packages: ${missing[*]} (install them, or run with INSTALL=1)"
  [[ $(id -u) == 0 ]] || sudo=sudo
  log "installing ${missing[*]}"
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && created=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  ((created)) && $sudo rm -f "$policy"
  return 0
}

# stop_pids PID...: SIGTERM to each, up to 15 s for each to go, then SIGKILL; reaps them.
stop_pids() {
  local pid i
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "$@"; do
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  return 0
}

# keep_or_remove_work RC: removes $WORK after a run that went well (or was interrupted), keeps
# it, saying where, after a failure or with KEEP_WORK=1.
keep_or_remove_work() {
  [[ -n ${WORK:-} ]] || return 0
  if [[ ${KEEP_WORK:-0} == 1 || ($1 != 0 && $1 != 130 && $1 != 143) ]]; then
    log "configs and logs kept in $WORK (remove it when done)"
  else
    rm -rf "$WORK"
  fi
}

# shellcheck disable=SC2034 # read by measure.sh and profile.sh
CLK_TCK=$(getconf CLK_TCK)
USED_PORTS=" "

# free_port: a loopback port nobody listens on, below the kernel's ephemeral range so that
# neither outgoing connections nor other people's tests (which listen on :0) can take it
# between this check and the bind. Never the same port twice in one run.
free_port() {
  local low p i
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  ((low > 20000)) || die "ephemeral ports start at $low; cannot pick ports below them"
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % (low - 20000)))
    [[ $USED_PORTS == *" $p "* ]] && continue
    [[ -n $(ss -Htan "( sport = :$p )") ]] && continue
    USED_PORTS+="$p "
    echo "$p"
    return
  done
  die "found no free port"
}

# wait_http URL SECONDS [PID]: until URL answers 2xx; fails early if PID died.
wait_http() {
  local url=$1 deadline=$((SECONDS + $2)) pid=${3:-}
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      log "process $pid exited while waiting for $url"
      return 1
    fi
    ((SECONDS < deadline)) || { log "timeout waiting for $url"; return 1; }
    sleep 0.2
  done
}

# stat_fields PID: "utime stime cutime cstime" in clock ticks. The command name in
# /proc/PID/stat may hold spaces, so fields are counted after its closing parenthesis.
stat_fields() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo "0 0 0 0"; return; }
  s=${s##*) }
  # after "pid (comm) ": state is field 1, utime 12, stime 13, cutime 14, cstime 15
  awk '{print $12, $13, $14, $15}' <<<"$s"
}

# children PID: the pids whose parent is PID.
children() {
  ps -o pid= --ppid "$1" 2>/dev/null | tr -s ' \n' ' '
}

# cpu_ticks PID: CPU time of a process (all threads) in clock ticks.
cpu_ticks() {
  local u s _
  read -r u s _ _ < <(stat_fields "$1")
  echo $((u + s))
}

# tree_ticks PID: CPU time of PID, its live children, and its children that already exited
# (the kernel adds those to PID's cutime/cstime when PID reaps them). For Apache: the parent
# and every worker process, whether it lives through the run or not.
tree_ticks() {
  local u s cu cs c total
  read -r u s cu cs < <(stat_fields "$1")
  total=$((u + s + cu + cs))
  for c in $(children "$1"); do
    total=$((total + $(cpu_ticks "$c")))
  done
  echo "$total"
}

# machine_ticks: "busy total" clock ticks of all CPUs since boot. Busy is time in processes
# (user, nice, system); interrupts are left out, as no process is charged for them.
machine_ticks() {
  awk '/^cpu /{busy = $2 + $3 + $4; print busy, busy + $5 + $6 + $7 + $8 + $9; exit}' /proc/stat
}

# softirq_ticks: CPU ticks of the ksoftirqd kernel threads, which do loopback networking when the
# interrupt path falls behind: at high request rates, that is the benchmark's own traffic.
softirq_ticks() {
  local p total=0
  for p in $(pgrep '^ksoftirqd/'); do total=$((total + $(cpu_ticks "$p"))); done
  echo "$total"
}

# rss_kib PID...: the sum of VmRSS of the processes, in KiB.
rss_kib() {
  local p total=0 v
  for p in "$@"; do
    v=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null) || v=0
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# fd_count PID...: open file descriptors of the processes (client and backend sockets).
fd_count() {
  local p total=0 n
  for p in "$@"; do
    n=$(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    total=$((total + n))
  done
  echo "$total"
}

# to_ms VALUE: a wrk duration (850.00us, 1.23ms, 2.00s, 1.5m) in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1
    if (f < 0) { print "?"; exit }
    printf "%.3f\n", n * f
  }'
}

# wrk_summary FILE: "requests req_per_s p50_ms p99_ms errors" from `wrk --latency` output.
# errors counts non-2xx/3xx answers and socket errors of every kind.
wrk_summary() {
  local f=$1 reqs rps p50 p99 errs
  reqs=$(awk '/requests in/{print $1; exit}' "$f")
  rps=$(awk '/^Requests\/sec:/{print $2; exit}' "$f")
  p50=$(to_ms "$(awk '$1 == "50%"{print $2; exit}' "$f")")
  p99=$(to_ms "$(awk '$1 == "99%"{print $2; exit}' "$f")")
  errs=$(awk '
    /Non-2xx or 3xx responses:/ {n += $NF}
    /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10}
    END {print n + 0}' "$f")
  [[ -n $reqs && -n $rps ]] || { log "unreadable wrk output in $f"; return 1; }
  echo "$reqs $rps $p50 $p99 $errs"
}
