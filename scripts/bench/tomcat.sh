# shellcheck shell=bash
# tomcat.sh — one Tomcat 10.1 (Debian tomcat10) for scripts/bench-gateway.sh: its own CATALINA_BASE
# under $WORK, loopback HTTP and AJP connectors (the AJP one with a secret), a jvmRoute, and the
# webapp of scripts/bench/webapp at /app. Sourced, never run; needs lib.sh.

CATALINA_HOME=${CATALINA_HOME:-/usr/share/tomcat10}
# hello.jsp makes a session per request and each lives a minute (and until the next sweep): at the
# fastest front ends' rates that is several hundred thousand live sessions per JVM. In 512 MiB the heap filled during
# their runs and G1 ran out of to-space into full collections of ~0.4 s (and wrk timeouts), a
# penalty only for being fast; 2 GiB holds them (measured 2026-12-04: at most ~750 MiB in use).
TOMCAT_HEAP=${TOMCAT_HEAP:-2g}
# TOMCAT_GC_LOG=1 logs every collection of each JVM to $WORK/<route>/logs/gc.log with wall-clock
# times, so that pauses can be matched to the runs (scripts/bench/gc-pauses.sh).
TOMCAT_GC_LOG=${TOMCAT_GC_LOG:-0}

# tomcat_start ROUTE HTTP_PORT AJP_PORT SECRET: writes the base and starts the JVM in the
# background; its pid is appended to TOMCAT_PIDS (catalina.sh run execs java, so $! is the JVM).
tomcat_start() {
  local route=$1 http=$2 ajp=$3 secret=$4 base="$WORK/$1" f
  mkdir -p "$base"/{conf,logs,webapps,work,temp}
  for f in web.xml context.xml catalina.properties logging.properties; do
    cp "$CATALINA_HOME/etc/$f" "$base/conf/$f"
  done
  cp -r "$BENCH_DIR/webapp" "$base/webapps/app"
  # No shutdown port and no access log: the script stops Tomcat by pid, and Apache and roll
  # write no per-request log either. Keep-alive connections are never closed after N requests
  # (Tomcat's HTTP default is 100; Apache and roll here have no limit), and the AJP timeout is
  # long because both front ends pool connections that may sit idle between rounds.
  # TOMCAT_AJP_ATTRS adds attributes to the AJP connector, to measure how its thread pool
  # changes Tomcat's cost behind each front end (docs/benchmarks.md).
  cat >"$base/conf/server.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- written by scripts/bench-gateway.sh -->
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector protocol="HTTP/1.1" address="127.0.0.1" port="$http" maxKeepAliveRequests="-1"
               connectionTimeout="20000" maxParameterCount="1000" />
    <Connector protocol="AJP/1.3" address="127.0.0.1" port="$ajp"
               secretRequired="true" secret="$secret" packetSize="8192"
               connectionTimeout="600000" maxParameterCount="1000" redirectPort="8443" ${TOMCAT_AJP_ATTRS:-} />
    <Engine name="Catalina" defaultHost="localhost" jvmRoute="$route">
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false" />
    </Engine>
  </Service>
</Server>
EOF
  local opts="-Xms256m -Xmx$TOMCAT_HEAP -Dbench.route=$route"
  ((TOMCAT_GC_LOG)) && opts+=" -Xlog:gc:file=$base/logs/gc.log:time"
  env CATALINA_HOME="$CATALINA_HOME" CATALINA_BASE="$base" CATALINA_TMPDIR="$base/temp" \
    CATALINA_OPTS="$opts" \
    "$CATALINA_HOME/bin/catalina.sh" run >"$base/logs/console.log" 2>&1 </dev/null &
  TOMCAT_PIDS+=($!)
  log "tomcat $route: pid $! http 127.0.0.1:$http ajp 127.0.0.1:$ajp"
}

# tomcat_ready ROUTE HTTP_PORT PID: waits for the webapp (not only the port: Tomcat binds before
# it deploys) and compiles both JSPs, so no run pays for the JSP compiler.
tomcat_ready() {
  local page
  wait_http "http://127.0.0.1:$2/app/nosession.jsp" 120 "$3" ||
    die "tomcat $1 did not serve /app; see $WORK/$1/logs/"
  for page in nosession.jsp hello.jsp; do
    curl -fsS -o /dev/null "http://127.0.0.1:$2/app/$page" || die "tomcat $1: /app/$page failed"
  done
}
