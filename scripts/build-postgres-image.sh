#!/usr/bin/env bash
# build-postgres-image.sh — the PostgreSQL image of the Tomcat example's JDBC session store, built here with
# no registry.
#
#   scripts/build-postgres-image.sh          # roll-example-postgres:15, when missing or its recipe changed
#   FORCE=1 scripts/build-postgres-image.sh  # rebuild it anyway
#
# Debian's postgresql-15 as the package installed it: postgres, the server's own modules (PL/pgSQL, the
# snowball dictionaries, logical replication's, the encoding conversions; not contrib, not the LLVM JIT),
# /usr/share/postgresql/15, the UTC zone, the shared libraries ldd resolves and the loader, /etc/passwd and a
# /tmp; a template cluster that initdb makes here (initdb runs its bootstrap through a shell, and the image
# has none); and as entrypoint a static Go launcher (examples/postgres/launcher): on the first start it
# copies the template to $PGDATA in the volume and creates POSTGRES_USER (tomcat) with POSTGRES_PASSWORD,
# POSTGRES_DB (sessions) and the table tomcat_sessions that Tomcat's DataSourceStore uses; then it runs
# postgres on every address of the container, port 5432, and passes it the stop signals.
# `postgres-launcher ready` is the healthcheck. A staged root becomes the image with `docker import`; it is
# rebuilt only when missing, when this recipe, the launcher or the postgresql-15 package changed, or with
# FORCE=1.
#
# Needs: docker, Go, Debian's postgresql-15 (scripts/install-test-deps.sh installs it; its own server
# need not run).
set -euo pipefail
# shellcheck source=build-images.sh
source "$(dirname "${BASH_SOURCE[0]}")/build-images.sh"

IMAGE=${POSTGRES_IMAGE:-roll-example-postgres:15}
PG_LIB=/usr/lib/postgresql/15
PG_SHARE=/usr/share/postgresql/15
# The server's own modules, without contrib's; *_and_* are the encoding conversions.
PG_MODULES=(plpgsql dict_snowball libpqwalreceiver pgoutput euc2004_sjis2004 '*_and_*')
PG_UID=10002
# The cluster initdb makes at build, which the launcher copies on a container's first start.
PG_TEMPLATE=$PG_SHARE/cluster-template

require_host_tools() {
  local missing=()
  [[ -x $PG_LIB/bin/postgres && -x $PG_LIB/bin/initdb && -f $PG_SHARE/postgres.bki ]] ||
    missing+=("postgresql-15 at $PG_LIB")
  [[ $(id -u) != 0 ]] || command -v setpriv >/dev/null || missing+=("setpriv (util-linux), to run initdb as nobody")
  command -v go >/dev/null || missing+=("go")
  ((${#missing[@]} == 0)) || die "missing on this machine: ${missing[*]}; run scripts/install-test-deps.sh"
}

# stage_postgres_root DIR: the whole file system of the image. Its text is part of the image's hash.
stage_postgres_root() {
  local root=$1 m f lib
  mkdir -p "$root$PG_LIB/bin" "$root$PG_LIB/lib" "$root/usr/share/postgresql" "$root/usr/share/zoneinfo"
  cp -L "$PG_LIB/bin/postgres" "$root$PG_LIB/bin/"
  for m in "${PG_MODULES[@]}"; do
    for f in "$PG_LIB"/lib/$m.so; do cp -L "$f" "$root$PG_LIB/lib/"; done
  done
  # Catalog sources, samples, time zone sets, text search data, and plpgsql's extension files (initdb
  # creates the extension); the man pages are left out.
  cp -rL "$PG_SHARE" "$root/usr/share/postgresql/"
  rm -rf "$root$PG_SHARE/man"
  # TZ=UTC: initdb writes timezone = 'UTC' into the template, postgres reads the zone file.
  cp -L /usr/share/zoneinfo/UTC "$root/usr/share/zoneinfo/UTC"
  # The template: locale C, UTF-8, superuser postgres; pg_hba.conf is the launcher's. initdb refuses to run
  # as root, so as root it runs as nobody, in a directory nobody may write to. Every container made from
  # the image has the template's system identifier (it matters only to physical replication).
  local tpl=$WORK/template
  rm -rf "$tpl" && mkdir -m 1777 "$tpl" && chmod o+x "$WORK"
  as_builder env TZ=UTC "$PG_LIB/bin/initdb" --pgdata "$tpl/pgdata" --username postgres --encoding UTF8 \
    --locale C --auth trust --no-instructions --no-sync >"$WORK/initdb.log" 2>&1 ||
    { cat "$WORK/initdb.log" >&2; return 1; }
  cp -r "$tpl/pgdata" "$root$PG_TEMPLATE"
  chmod -R a+rX,go-w "$root$PG_TEMPLATE"

  # The shared libraries of the binaries and modules, at the paths ldd resolved, and the loader.
  find "$root$PG_LIB" -type f -print0 | xargs -0 -n1 ldd 2>/dev/null |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
    while read -r lib; do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  mkdir -p "$root/lib64"
  cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"

  mkdir -p "$root/usr/local/bin"
  (cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$root/usr/local/bin/postgres-launcher" ./examples/postgres/launcher)

  # initdb and postgres refuse to run as root and look their user up; the data volume's mount point
  # is writable for any user (a new named volume takes its mode), and PGDATA is made below it.
  mkdir -p "$root/etc" "$root/tmp" "$root/var/lib/postgresql/data"
  chmod 1777 "$root/tmp" "$root/var/lib/postgresql/data"
  printf 'root:x:0:0:root:/root:/sbin/nologin\npostgres:x:%d:%d:postgres:/var/lib/postgresql:/sbin/nologin\n' "$PG_UID" "$PG_UID" >"$root/etc/passwd"
  printf 'root:x:0:\npostgres:x:%d:\n' "$PG_UID" >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
}

# as_builder CMD...: CMD as this user, or as nobody when this is root.
as_builder() {
  if [[ $(id -u) == 0 ]]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
  else
    "$@"
  fi
}

image_inputs_hash() {
  inputs_hash examples/postgres/launcher examples/pgwire -- "$(declare -f stage_postgres_root)" "${PG_MODULES[*]}" "$PG_UID" \
    "$(dpkg-query -W -f='${Package}=${Version}\n' postgresql-15 libc6 2>/dev/null)"
}

# import_postgres IMAGE HASH: stage the root and turn it into an image.
import_postgres() {
  local image=$1 hash=$2 root=$WORK/postgres-root
  rm -rf "$root" && mkdir -p "$root"
  stage_postgres_root "$root"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -cf - . |
    docker import \
      -c "ENV PGDATA=/var/lib/postgresql/data/pgdata TZ=UTC PATH=/usr/local/bin:$PG_LIB/bin" \
      -c "WORKDIR /var/lib/postgresql" \
      -c "USER $PG_UID:$PG_UID" \
      -c "EXPOSE 5432" \
      -c 'ENTRYPOINT ["/usr/local/bin/postgres-launcher"]' \
      -c "LABEL $HASH_LABEL=$hash org.opencontainers.image.title=\"PostgreSQL 15 from Debian, the session store of roll's Tomcat example\"" \
      - "$image"
}

build_postgres_image() {
  require_host_tools
  local hash
  hash=$(image_inputs_hash)
  build_image "$IMAGE" "$hash" import_postgres "$IMAGE" "$hash"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  docker info >/dev/null 2>&1 || die "cannot reach the Docker engine"
  lock_builds
  use_workdir
  build_postgres_image
fi
