#!/bin/sh
# Entrypoint of the registry image (Dockerfile, FROM tomcat:10.1); the offline image's launcher does the same.
#  - One session route per container: JVM_ROUTE defaults to the hostname, which Docker sets to the
#    container id, so an old and a new container never share a route.
#  - No AJP port without a secret: server.xml says secretRequired="true" secret="${AJP_SECRET}".
#  - ${...} in server.xml are read from the environment, never passed on the command line.
set -eu

if [ -z "${AJP_SECRET:-}" ]; then
  echo "AJP_SECRET is empty: the AJP connector needs a secret; set AJP_SECRET in the container's environment (the gateway must use the same one)" >&2
  exit 2
fi
JVM_ROUTE=${JVM_ROUTE:-${HOSTNAME:-$(cat /etc/hostname)}}
case $JVM_ROUTE in
  *[.\;\ ]*) echo "jvmRoute \"$JVM_ROUTE\": a route cannot contain '.', ';' or spaces, they end the session id" >&2; exit 2 ;;
esac
export JVM_ROUTE
# SESSION_STORE=file|jdbc: sessions written to a store at stop and read by the next container.
ctx=/usr/local/tomcat/conf/Catalina/localhost/ROOT.xml
case ${SESSION_STORE:-} in
  "") rm -f "$ctx" ;;
  file | jdbc) mkdir -p "${ctx%/*}"; cp "/usr/local/tomcat/conf/sessions/$SESSION_STORE.xml" "$ctx" ;;
  *) echo "SESSION_STORE \"$SESSION_STORE\" is not one of file, jdbc (or empty for none)" >&2; exit 2 ;;
esac
export SESSION_DIR=${SESSION_DIR:-/sessions}
if [ "${SESSION_STORE:-}" = jdbc ]; then
  for v in SESSION_DB_URL SESSION_DB_USER; do
    eval "[ -n \"\${$v:-}\" ]" || { echo "SESSION_STORE=jdbc needs $v (conf/sessions/jdbc.xml reads it)" >&2; exit 2; }
  done
  # Unset, Tomcat would keep the text \${SESSION_DB_PASSWORD} and send it as the password.
  export SESSION_DB_PASSWORD=${SESSION_DB_PASSWORD:-}
fi
export CATALINA_OPTS="${CATALINA_OPTS:-} -Dorg.apache.tomcat.util.digester.PROPERTY_SOURCE=org.apache.tomcat.util.digester.EnvironmentPropertySource"
exec "$@"
