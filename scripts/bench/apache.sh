# shellcheck shell=bash
# apache.sh — the incumbent for scripts/bench-gateway.sh: a private Apache httpd 2.4 (event MPM)
# with mod_jk balancing /app/* over both Tomcats by AJP13, sticky on jvmRoute, with the connector
# secret and a ping_mode: CI (CPing on connect and on idle connections, not per request) or A (a
# CPing before every request too). It reads nothing under /etc/apache2. Sourced, never run; needs
# lib.sh.

APACHE_BIN=${APACHE_BIN:-/usr/sbin/apache2}
APACHE_MODULES=${APACHE_MODULES:-/usr/lib/apache2/modules}

declare -A APACHE_PIDS APACHE_PING

# apache_start NAME PORT WORKERS PING_MODE SECRET ROUTE:AJP_PORT...: writes the configuration of
# instance NAME under $WORK/NAME, checks it, and starts httpd in the foreground of a background
# job; the parent's pid goes to APACHE_PIDS[NAME]. WORKERS is rounded up to processes of 64
# threads, and mod_jk keeps one pooled AJP connection per thread.
apache_start() {
  local name=$1 port=$2 procs=$((($3 + 63) / 64)) ping=$4 secret=$5 dir="$WORK/$1" members="" m
  shift 5
  APACHE_PING[$name]=$ping
  mkdir -p "$dir"/{logs,run}
  {
    echo "# written by scripts/bench-gateway.sh: one lb worker over the Tomcats"
    echo "worker.list=lb"
    echo "worker.member.type=ajp13"
    echo "worker.member.host=127.0.0.1"
    echo "worker.member.secret=$secret"
    echo "worker.member.lbfactor=1"
    echo "worker.member.ping_mode=$ping"
    echo "worker.member.ping_timeout=10000"
    echo "worker.member.socket_connect_timeout=2000"
    echo "worker.member.connection_pool_timeout=600"
    echo "worker.member.max_packet_size=8192"
    for m in "$@"; do
      echo "worker.${m%%:*}.reference=worker.member"
      echo "worker.${m%%:*}.port=${m##*:}"
      echo "worker.${m%%:*}.route=${m%%:*}"
      members+="${members:+,}${m%%:*}"
    done
    echo "worker.lb.type=lb"
    echo "worker.lb.balance_workers=$members"
    echo "worker.lb.sticky_session=true"
    echo "worker.lb.method=Request"
  } >"$dir/workers.properties"

  # Every process is started at once and never retired, so no run pays for a process being
  # forked or reaped; no access log (roll and Tomcat write none).
  cat >"$dir/httpd.conf" <<EOF
# written by scripts/bench-gateway.sh
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/run/httpd.pid"
DefaultRuntimeDir "$dir/run"
ErrorLog "$dir/logs/error.log"
LogLevel warn
User www-data
Group www-data

LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule jk_module $APACHE_MODULES/mod_jk.so

StartServers $procs
ServerLimit $procs
ThreadsPerChild 64
MaxRequestWorkers $((procs * 64))
MinSpareThreads 16
MaxSpareThreads $((procs * 64))
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30

<Location />
  Require all granted
</Location>

JkWorkersFile "$dir/workers.properties"
JkShmFile "$dir/run/jk.shm"
JkLogFile "$dir/logs/mod_jk.log"
JkLogLevel warn
JkMount /app/* lb
EOF
  "$APACHE_BIN" -t -f "$dir/httpd.conf" >"$dir/logs/configtest.log" 2>&1 ||
    die "apache refused its configuration: $(cat "$dir/logs/configtest.log")"
  # -DFOREGROUND keeps the parent our child: SIGTERM to it stops its workers too.
  "$APACHE_BIN" -f "$dir/httpd.conf" -DFOREGROUND >"$dir/logs/console.log" 2>&1 </dev/null &
  APACHE_PIDS[$name]=$!
  log "apache + mod_jk $name: pid $! on 127.0.0.1:$port, $procs processes × 64 threads, ping_mode=$ping"
}

# apache_pids NAME: the parent and its worker processes, for memory and descriptor counts.
apache_pids() {
  echo "${APACHE_PIDS[$1]} $(children "${APACHE_PIDS[$1]}")"
}
