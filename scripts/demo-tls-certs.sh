#!/usr/bin/env bash
# demo-tls-certs.sh — a throwaway CA and a certificate for localhost, for trying the gateway's TLS
# listener (compose/compose.tls.yaml). Never use these for a real site: the CA key is on disk.
#
#   scripts/demo-tls-certs.sh [DIR]     # default compose/tls; writes DIR/localhost.crt and .key,
#                                       # and the CA beside the directory as DIR-ca.pem
#   curl --cacert compose/tls-ca.pem https://localhost:8443/
#
# The gateway reads DIR by its convention (--tls-cert-dir): NAME.crt with NAME.key. Run the
# script again to renew: the gateway picks the new files up within --tls-reload-interval.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${1:-$ROOT/compose/tls}
CA=$DIR-ca.pem
command -v openssl >/dev/null || { echo "demo-tls-certs: openssl is needed (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$DIR"
WORK=$(mktemp -d "$DIR/.new.XXXXXX") # in DIR, so the moves below are renames; hidden names are not read
trap 'rm -rf "$WORK"' EXIT

if [[ ! -f $CA || ! -f $DIR-ca.key ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=roll demo CA" \
    -keyout "$DIR-ca.key" -out "$CA" 2>/dev/null
fi
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout "$WORK/localhost.key" -out "$WORK/localhost.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$WORK/ext"
openssl x509 -req -in "$WORK/localhost.csr" -CA "$CA" -CAkey "$DIR-ca.key" -CAcreateserial -days 7 \
  -extfile "$WORK/ext" -out "$WORK/localhost.crt" 2>/dev/null
# Key first, then the certificate, each by a rename: the gateway never reads half a file, and a
# check between the two renames keeps the last good pair (the new key does not match the old one).
chmod 644 "$WORK/localhost.key" # the gateway runs as a non-root user in its container
mv "$WORK/localhost.key" "$DIR/localhost.key"
mv "$WORK/localhost.crt" "$DIR/localhost.crt"
echo "demo-tls-certs: $DIR/localhost.crt and .key (for localhost, 7 days), CA $CA"
