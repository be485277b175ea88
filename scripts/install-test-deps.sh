#!/usr/bin/env bash
# install-test-deps.sh — put on this machine what `make test` needs and nothing else:
# Tomcat 10.1 and a JRE (Debian tomcat10), Apache httpd 2.4 with mod_jk (the front door differential, pkg/gateway/frontdoor,
# compares roll's gateway with), PostgreSQL 15 and its JDBC driver (the images of the JDBC session store), curl, and a
# running Docker engine.
# scripts/check-test-deps.sh, which `make test` runs first, checks the same list.
# Idempotent: installs only what is missing. Needs root (or sudo) for apt-get.
set -euo pipefail
log() { echo "[install-test-deps] $*"; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

# ant: Tomcat's JSP precompiler (JspC) extends ant's Task; scripts/build-tomcat-image.sh uses it.
# apache2, libapache2-mod-jk: pkg/internal/apachetest runs private httpds of its own; the tests never use
# (or need) the system service the package may set up.
# postgresql, libpostgresql-jdbc-java: scripts/build-postgres-image.sh copies the server into the example's PostgreSQL
# image and scripts/build-tomcat-image.sh the driver into the Tomcat base; no test uses a server on this machine.
# chromium-headless-shell: pkg/internal/browsertest loads the gateway's status page in a real browser.
pkgs=(tomcat10 default-jre-headless curl ant apache2 libapache2-mod-jk postgresql libpostgresql-jdbc-java chromium-headless-shell)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # postgresql-common makes a cluster "main" and starts it where services run: stop it and leave it to be
  # started by hand, so that no database server of ours keeps running on this machine.
  if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null; then
    pg_lsclusters --no-header 2>/dev/null | while read -r ver name _ status _; do
      [[ $status == online* ]] && $SUDO pg_ctlcluster "$ver" "$name" stop
      [[ -f /etc/postgresql/$ver/$name/start.conf ]] && echo manual | $SUDO tee "/etc/postgresql/$ver/$name/start.conf" >/dev/null
    done
    log "stopped PostgreSQL's own cluster and set it to start manually (pg_lsclusters shows it)"
  fi
fi
# The Tomcat image for the end-to-end tests is assembled with jlink: it needs a JDK with jmods.
if ! ls /usr/lib/jvm/*/jmods/java.base.jmod >/dev/null 2>&1; then
  log "installing openjdk-17-jdk-headless (jlink + jmods)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends openjdk-17-jdk-headless >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1; then
    log "installing docker.io"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends docker.io >/dev/null
  fi
  log "starting dockerd"
  $SUDO sh -c 'nohup dockerd >/var/log/dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "docker engine did not start; see /var/log/dockerd.log" >&2; exit 1; }
fi
log "ready: $(java -version 2>&1 | head -1); tomcat $(ls /usr/share/tomcat10/lib/catalina.jar >/dev/null && echo 10.1); $(/usr/sbin/apache2 -v | head -1); mod_jk $(dpkg-query -W -f '${Version}' libapache2-mod-jk); docker $(docker version -f '{{.Server.Version}}')"
