# shellcheck shell=bash
# nginx.sh — the HTTP yardstick for scripts/bench-gateway.sh: a private nginx balancing /app/ over
# both Tomcats' HTTP connectors, with kept-alive upstream connections (keepalive 64, HTTP/1.1, the
# Connection field cleared), one worker per CPU and no access log, as a tuned nginx in front of
# Tomcat runs. With NGINX_TLS_DIR set it terminates TLS (TLS 1.2 and 1.3) with the certificate
# NGINX_TLS_DIR/localhost.crt and its key localhost.key, for scripts/bench-tls.sh. It reads nothing
# under /etc/nginx. Sourced, never run; needs lib.sh.

NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}

declare -A NGINX_PIDS

# nginx_start NAME PORT HTTP_PORT...: writes the configuration of instance NAME under $WORK/NAME,
# checks it, and starts nginx in the foreground of a background job; the master's pid goes to
# NGINX_PIDS[NAME].
nginx_start() {
  local name=$1 port=$2 dir="$WORK/$1" p servers="" listen="listen 127.0.0.1:$2;"
  shift 2
  mkdir -p "$dir"/{logs,tmp}
  for p in "$@"; do servers+="    server 127.0.0.1:$p;"$'\n'; done
  if [[ -n ${NGINX_TLS_DIR:-} ]]; then
    listen="listen 127.0.0.1:$port ssl;
    ssl_certificate $NGINX_TLS_DIR/localhost.crt;
    ssl_certificate_key $NGINX_TLS_DIR/localhost.key;
    ssl_protocols TLSv1.2 TLSv1.3;"
  fi
  cat >"$dir/nginx.conf" <<EOF
# written by scripts/${0##*/}
daemon off;
master_process on;
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
worker_rlimit_nofile $((MEM_CLIENTS * 3 + 1024));
events {
  worker_connections $((MEM_CLIENTS * 2 + 512));
}
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 1000000000;
  keepalive_timeout 30s;
  upstream tomcats {
$servers    keepalive 64;
  }
  server {
    $listen
    location /app/ {
      proxy_pass http://tomcats;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
    }
  }
}
EOF
  "$NGINX_BIN" -t -p "$dir" -c "$dir/nginx.conf" >"$dir/logs/configtest.log" 2>&1 ||
    die "nginx refused its configuration: $(cat "$dir/logs/configtest.log")"
  "$NGINX_BIN" -p "$dir" -c "$dir/nginx.conf" >"$dir/logs/console.log" 2>&1 </dev/null &
  NGINX_PIDS[$name]=$!
  log "nginx $name: pid $! on 127.0.0.1:$port${NGINX_TLS_DIR:+ (TLS)}, upstream HTTP ports $*"
}

# nginx_pids NAME: the master and its workers.
nginx_pids() {
  echo "${NGINX_PIDS[$1]} $(children "${NGINX_PIDS[$1]}")"
}
