# The Tomcat example app on the offline base (no registry needed).
#
# scripts/build-tomcat-image.sh builds the base, roll-tomcat-base:10.1 (Debian's Tomcat 10.1 and a
# jlinked JRE 17, imported with `docker import`), then this file with examples/tomcat as context:
#     docker build -f offline.Dockerfile --build-arg APP_VERSION=v1 -t roll-example-tomcat:v1 examples/tomcat
# The base's entrypoint sets JVM_ROUTE to the container's hostname unless given, and refuses to start
# without AJP_SECRET, which server.xml reads from the environment.
# With a registry, Dockerfile (FROM tomcat:10.1) builds the same app on the official image.
ARG BASE=roll-tomcat-base:10.1
FROM ${BASE}

COPY conf/server.xml conf/logging.properties /usr/local/tomcat/conf/
# SESSION_STORE=file|jdbc installs one of these as conf/Catalina/localhost/ROOT.xml (README: sessions).
COPY conf/sessions/ /usr/local/tomcat/conf/sessions/
COPY webapp/ /usr/local/tomcat/webapps/ROOT/

# Baked in so v1 and v2 answer differently; the compose file may override it.
ARG APP_VERSION=dev
ENV APP_VERSION=${APP_VERSION}
