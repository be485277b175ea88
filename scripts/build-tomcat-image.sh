#!/usr/bin/env bash
# build-tomcat-image.sh — the Tomcat example images, built here with no registry.
#
#   scripts/build-tomcat-image.sh            # the base when missing, then roll-example-tomcat:v1 :v2 :broken
#   FORCE=1 scripts/build-tomcat-image.sh    # rebuild the base and the app images
#
# Two layers:
#  1. The base, roll-tomcat-base:10.1 (cached: built only when missing, when its recipe changed, or with
#     FORCE=1): Debian's tomcat10 with PostgreSQL's JDBC driver in lib/ (SESSION_STORE=jdbc), a JRE cut
#     from the installed JDK 17 with jlink, the shared libraries the JRE links against, the loader,
#     /etc/passwd and /tmp, and a static Go launcher as entrypoint (there is no shell in the image).
#     A staged root directory becomes an image with `docker import`. The layout is the official
#     tomcat image's: CATALINA_HOME=CATALINA_BASE=/usr/local/tomcat.
#  2. The app: examples/tomcat/offline.Dockerfile FROM that base adds conf/ and the webapp as ROOT.
#     :broken swaps in examples/tomcat/broken/WEB-INF/web.xml, whose listener class does not exist.
#     When ant is installed (JspC needs its Task class), the JSPs are compiled here first, which takes
#     JSP compilation off the first requests.
#
# Needs: docker, Go, Debian's tomcat10, libeclipse-jdt-core-java, libpostgresql-jdbc-java and
# openjdk-17-jdk-headless (scripts/install-test-deps.sh installs them).
set -euo pipefail
# shellcheck source=build-images.sh
source "$(dirname "${BASH_SOURCE[0]}")/build-images.sh"

BASE_IMAGE=${TOMCAT_BASE_IMAGE:-roll-tomcat-base:10.1}
APP_IMAGE=roll-example-tomcat
JDK_HOME=${JDK_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
TOMCAT_HOME=/usr/share/tomcat10
ECJ_JAR=/usr/share/java/eclipse-jdt-core.jar
# SESSION_STORE=jdbc: PostgreSQL's JDBC driver, from Debian's libpostgresql-jdbc-java.
PGJDBC_JAR=/usr/share/java/postgresql.jar
ANT_JAR=/usr/share/java/ant.jar
# What Tomcat 10.1 and ECJ use (jdeps); jdk.crypto.ec for TLS clients in apps.
JRE_MODULES=java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,java.naming,java.rmi,java.security.jgss,java.sql,java.xml,jdk.unsupported,jdk.crypto.ec
# java.desktop is there for java.beans; its X11, sound, font and image natives are not needed headless.
JRE_DROP_LIBS=(libawt_xawt.so libjawt.so libsplashscreen.so libjsound.so libfontmanager.so liblcms.so libjavajpeg.so libmlib_image.so)
TOMCAT_UID=10001
# Defaults for a small container; JAVA_OPTS in the compose file replaces them.
DEFAULT_JAVA_OPTS="-XX:+UseSerialGC -Xms32m -Xmx256m -Xshare:auto"

require_host_tools() {
  local missing=()
  [[ -x $JDK_HOME/bin/jlink && -f $JDK_HOME/jmods/java.base.jmod ]] || missing+=("openjdk-17-jdk-headless (jlink, jmods) at $JDK_HOME")
  [[ -f $TOMCAT_HOME/lib/catalina.jar ]] || missing+=("tomcat10 at $TOMCAT_HOME")
  [[ -f $ECJ_JAR ]] || missing+=("libeclipse-jdt-core-java ($ECJ_JAR)")
  [[ -f $PGJDBC_JAR ]] || missing+=("libpostgresql-jdbc-java ($PGJDBC_JAR)")
  command -v go >/dev/null || missing+=("go")
  ((${#missing[@]} == 0)) || die "missing on this machine: ${missing[*]}; run scripts/install-test-deps.sh"
}

# stage_base_root DIR: the whole file system of the base image. Its text is part of the base's hash,
# so editing it rebuilds the base; nothing else in this file does.
stage_base_root() {
  local root=$1 f lib
  # The JRE, with class data sharing archives for a faster start.
  "$JDK_HOME/bin/jlink" --add-modules "$JRE_MODULES" --strip-debug --no-header-files --no-man-pages \
    --compress=2 --generate-cds-archive --output "$root/opt/java"
  for lib in "${JRE_DROP_LIBS[@]}"; do rm -f "$root/opt/java/lib/$lib"; done

  # The shared libraries the JRE links against, at the paths ldd resolved, and the loader.
  find "$root/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -print0 |
    xargs -0 -n1 ldd 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
    while read -r lib; do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  mkdir -p "$root/lib64"
  cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"

  # Tomcat: Debian's lib/ and bin/ jars are symlinks into /usr/share/java; copy their targets.
  local home=$root/usr/local/tomcat
  mkdir -p "$home"/{bin,lib,conf,webapps,logs,temp,work,conf/Catalina/localhost}
  cp -L "$TOMCAT_HOME"/bin/{bootstrap.jar,tomcat-juli.jar} "$home/bin/"
  for f in "$TOMCAT_HOME"/lib/*.jar; do
    case $(basename "$f") in catalina-ant.jar | tomcat-i18n-*.jar) continue ;; esac
    cp -L "$f" "$home/lib/"
  done
  # ECJ compiles JSPs; Debian's jasper.jar names it eclipse-jdt-core.jar in its Class-Path.
  cp -L "$ECJ_JAR" "$home/lib/eclipse-jdt-core.jar"
  # The JDBC driver of SESSION_STORE=jdbc's pool, in the common class loader with Tomcat's DBCP.
  cp -L "$PGJDBC_JAR" "$home/lib/postgresql.jar"
  cp "$TOMCAT_HOME"/etc/{catalina.properties,context.xml,jaspic-providers.xml,logging.properties,server.xml,tomcat-users.xml,web.xml} "$home/conf/"
  # ECJ holds no TLDs or web fragments: skip it when Tomcat scans jars at start.
  sed -i 's/^tomcat.util.scan.StandardJarScanFilter.jarsToSkip=\\$/&\neclipse-jdt-core.jar,postgresql.jar,\\/' "$home/conf/catalina.properties"
  # Writable for whatever user the container runs as (docker run --user too).
  chmod 1777 "$home"/{logs,temp,work,conf/Catalina,conf/Catalina/localhost}

  # The launcher: sets JVM_ROUTE, refuses to start without AJP_SECRET, execs java.
  mkdir -p "$root/usr/local/bin"
  (cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$root/usr/local/bin/tomcat-launcher" ./examples/tomcat/launcher)

  # What glibc and the JVM expect of a system: users, name resolution order, a /tmp.
  mkdir -p "$root/etc" "$root/tmp" "$root/sessions"
  # /sessions: SESSION_STORE=file's directory; a named volume mounted there starts with this mode.
  chmod 1777 "$root/tmp" "$root/sessions"
  printf 'root:x:0:0:root:/root:/sbin/nologin\ntomcat:x:%d:%d:tomcat:/usr/local/tomcat:/sbin/nologin\n' "$TOMCAT_UID" "$TOMCAT_UID" >"$root/etc/passwd"
  printf 'root:x:0:\ntomcat:x:%d:\n' "$TOMCAT_UID" >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

base_hash() {
  # The recipe (the staging function and its settings), the launcher's source and the exact Debian
  # package versions the files come from.
  inputs_hash examples/tomcat/launcher examples/pgwire -- "$(declare -f stage_base_root)" "$JRE_MODULES" "${JRE_DROP_LIBS[*]}" \
    "$TOMCAT_UID" "$DEFAULT_JAVA_OPTS" "$("$JDK_HOME/bin/java" -version 2>&1)" \
    "$(dpkg-query -W -f='${Package}=${Version}\n' tomcat10 libtomcat10-java libeclipse-jdt-core-java libpostgresql-jdbc-java 2>/dev/null)"
}

# import_base IMAGE HASH: stage the root and turn it into an image.
import_base() {
  local image=$1 hash=$2 root=$WORK/base-root
  rm -rf "$root" && mkdir -p "$root"
  stage_base_root "$root"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -cf - . |
    docker import \
      -c "ENV JAVA_HOME=/opt/java CATALINA_HOME=/usr/local/tomcat CATALINA_BASE=/usr/local/tomcat PATH=/opt/java/bin:/usr/local/bin" \
      -c "ENV JAVA_OPTS=\"$DEFAULT_JAVA_OPTS\"" \
      -c "WORKDIR /usr/local/tomcat" \
      -c "USER $TOMCAT_UID:$TOMCAT_UID" \
      -c "EXPOSE 8009 8080" \
      -c 'ENTRYPOINT ["/usr/local/bin/tomcat-launcher"]' \
      -c "LABEL $HASH_LABEL=$hash org.opencontainers.image.title=\"Tomcat 10.1 on a jlinked JRE 17, for roll\"" \
      - "$image"
}

# precompile_available: JspC extends ant's Task, so it runs only where ant is installed; PRECOMPILE=0
# leaves the JSPs to Tomcat (to compare start-up times).
precompile_available() { [[ ${PRECOMPILE:-1} != 0 && -f $ANT_JAR ]]; }

# precompile_webapp DIR: compile the JSPs of the webapp in DIR into WEB-INF/classes and map them in
# its web.xml, as Tomcat's JspC does; the container then starts without compiling JSPs on the first
# requests (ECJ stays in the image for any JSP added later).
precompile_webapp() {
  local webapp=$1 cp frag
  cp=$(printf '%s:' "$TOMCAT_HOME"/lib/*.jar "$TOMCAT_HOME"/bin/*.jar)$ECJ_JAR:$ANT_JAR
  frag=$WORK/jspc-web.xml
  java -cp "$cp" org.apache.jasper.JspC -webapp "$webapp" -d "$webapp/WEB-INF/classes" \
    -compile -failFast -webinc "$frag" >"$WORK/jspc.log" 2>&1 || { cat "$WORK/jspc.log" >&2; return 1; }
  find "$webapp/WEB-INF/classes" -name '*.java' -delete
  # The generated <servlet> and <servlet-mapping> elements go just before </web-app>.
  sed -i -e "/<\/web-app>/{r $frag" -e 'd}' "$webapp/WEB-INF/web.xml"
  echo '</web-app>' >>"$webapp/WEB-INF/web.xml"
}

# stage_app DIR VARIANT: the build context of one release: conf/, webapp/ and the Dockerfile.
stage_app() {
  local ctx=$1 variant=$2
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp -r "$ROOT"/examples/tomcat/{conf,webapp,offline.Dockerfile} "$ctx/"
  if [[ $variant == broken ]]; then
    # Never deploys, so nothing to precompile.
    cp "$ROOT/examples/tomcat/broken/WEB-INF/web.xml" "$ctx/webapp/WEB-INF/web.xml"
  elif precompile_available; then
    precompile_webapp "$ctx/webapp"
  fi
}

build_tomcat_images() {
  require_host_tools
  build_image "$BASE_IMAGE" "$(base_hash)" import_base "$BASE_IMAGE" "$(base_hash)"
  local base_id variant version hash ctx
  base_id=$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE")
  for variant in v1 v2 broken; do
    version=$variant
    ctx=$WORK/app-$variant
    hash=$(inputs_hash examples/tomcat/conf examples/tomcat/webapp examples/tomcat/broken \
      examples/tomcat/offline.Dockerfile -- "$base_id" "$variant" "precompiled=$(precompile_available && echo yes)")
    spawn build_image "$APP_IMAGE:$variant" "$hash" build_app "$ctx" "$variant" "$version" "$hash"
  done
  wait_jobs
}

# build_app CTX VARIANT VERSION HASH
build_app() {
  local ctx=$1 variant=$2 version=$3 hash=$4
  stage_app "$ctx" "$variant"
  docker_build "$APP_IMAGE:$variant" "$hash" "$ctx" "$ctx/offline.Dockerfile" \
    --build-arg "BASE=$BASE_IMAGE" --build-arg "APP_VERSION=$version"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  docker info >/dev/null 2>&1 || die "cannot reach the Docker engine"
  lock_builds
  use_workdir
  build_tomcat_images
fi
