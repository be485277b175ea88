#!/usr/bin/env bash
# check-test-deps.sh — what `make test` runs first: is everything its tests need on this machine? If not,
# it stops at once with one line naming what is missing and how to install it, rather than letting
# the conformance tests skip (or the end-to-end tests fail) after minutes of running.
#
#   scripts/check-test-deps.sh                  # exit 0 when all is there, 1 (and one line) when not
#   ROLL_TEST_ALLOW_SKIP=1 scripts/check-test-deps.sh   # say what is missing, but go on: its tests skip
#
# Needed: java and Tomcat 10.1 ($CATALINA_HOME or /usr/share/tomcat10) for the conformance tests; a JDK
# with jmods (jlink), ECJ and PostgreSQL's JDBC driver for the Tomcat image the end-to-end tests build;
# PostgreSQL 15's server for their database image; Apache httpd with mod_jk for the differential tests;
# a headless Chromium for the status page's tests; a reachable Docker engine. scripts/install-test-deps.sh
# installs them all.
set -uo pipefail

missing=()
# An engine that hangs must not hang make test; timeout is in coreutils, but do without it.
command -v timeout >/dev/null 2>&1 || TIMEOUT=" "

java=java
[[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]] && java=$JAVA_HOME/bin/java
home=${CATALINA_HOME:-/usr/share/tomcat10}
if ! command -v "$java" >/dev/null 2>&1; then
  missing+=("java")
elif [[ ! -f $home/bin/bootstrap.jar || ! -f $home/lib/catalina.jar ]]; then
  missing+=("Tomcat 10.1 at $home (or set CATALINA_HOME)")
else
  version=$("$java" -cp "$home/lib/catalina.jar" org.apache.catalina.util.ServerInfo 2>/dev/null |
    sed -n 's/^Server number: *//p')
  [[ $version == 10.1.* ]] || missing+=("Tomcat 10.1 at $home (found ${version:-no version})")
fi

# The same JDK scripts/build-tomcat-image.sh jlinks the test image's JRE from.
jdk=${JDK_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
[[ -x $jdk/bin/jlink && -f $jdk/jmods/java.base.jmod ]] || missing+=("a JDK with jlink and jmods at $jdk (or set JDK_HOME)")
[[ -f /usr/share/java/eclipse-jdt-core.jar ]] || missing+=("ECJ (/usr/share/java/eclipse-jdt-core.jar)")
[[ -f /usr/share/java/postgresql.jar ]] || missing+=("PostgreSQL's JDBC driver (/usr/share/java/postgresql.jar, libpostgresql-jdbc-java)")
# What scripts/build-postgres-image.sh copies into the session store's database image.
[[ -x /usr/lib/postgresql/15/bin/postgres && -x /usr/lib/postgresql/15/bin/initdb ]] ||
  missing+=("PostgreSQL 15 (/usr/lib/postgresql/15/bin, postgresql-15)")

apache=${APACHE_BIN:-/usr/sbin/apache2}
modjk=${APACHE_MODULES:-/usr/lib/apache2/modules}/mod_jk.so
[[ -x $apache ]] || missing+=("Apache httpd ($apache)")
[[ -f $modjk ]] || missing+=("mod_jk ($modjk)")

browser=${ROLL_TEST_BROWSER:-/usr/bin/chromium-headless-shell}
[[ -x $browser ]] || missing+=("a headless Chromium ($browser, Debian's chromium-headless-shell)")

if ! command -v docker >/dev/null 2>&1; then
  missing+=("the docker CLI")
elif ! ${TIMEOUT:-timeout 20} docker info >/dev/null 2>&1; then
  missing+=("a reachable Docker engine (docker info fails for ${DOCKER_HOST:-the default socket})")
fi

((${#missing[@]})) || exit 0
list=$(printf '%s, ' "${missing[@]}")
list=${list%, }
if [[ ${ROLL_TEST_ALLOW_SKIP:-} == 1 ]]; then
  echo "make test: missing ${list}; ROLL_TEST_ALLOW_SKIP=1, so the tests that need them skip (scripts/install-test-deps.sh installs them)"
  exit 0
fi
echo "make test: missing ${list}; run scripts/install-test-deps.sh (or ROLL_TEST_ALLOW_SKIP=1 make test to let their tests skip)" >&2
exit 1
