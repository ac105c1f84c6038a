#!/usr/bin/env bash
# Makes a private CA and one certificate per name for a secured Autopilot cluster (TLS everywhere).
#
#   make-certificates.sh DIR --etcd ETCD_HOST... --members MEMBER_HOST...
#
# DIR gets ca.pem (give it to every member and client), ca.key (keep it offline), and NAME.pem / NAME.key for each
# name (IP address or DNS name). A member's one certificate serves its database, its REST API and its client side
# towards etcd and the other members. etcd members' certificates also carry DNS:etcd, the one name the agents check
# every etcd member against (coordination.tls.serverName: etcd). Keys are EC P-256, PKCS#8, unencrypted; copy each
# member's own pair to it as member.pem / member.key, readable only by the agent (chmod 0400).
# EXTRA_SAN (e.g. DNS:localhost) is added to every certificate: for a cluster on one machine, where connections
# between etcd peers come from 127.0.0.1 and etcd's --peer-client-cert-auth checks that address too.
set -euo pipefail

usage() { echo "usage: $0 DIR --etcd HOST... --members HOST..." >&2; exit 2; }
[ $# -ge 3 ] || usage
dir=$1; shift
days=${CERT_DAYS:-825}
mkdir -p "$dir"
umask 077

if [ ! -f "$dir/ca.pem" ]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -days "$days" -subj "/CN=autopilot cluster CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

issue() { # issue NAME EXTRA_SAN
  local name=$1 extra=$2 san
  if [[ $name =~ ^[0-9.]+$ ]]; then san="IP:$name"; else san="DNS:$name"; fi
  [ -z "$extra" ] || san="$san,$extra"
  [ -z "${EXTRA_SAN:-}" ] || san="$san,$EXTRA_SAN"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' \
    "$san" > "$dir/$name.ext"
  # No Common Name: the names are in subjectAltName, and with --client-cert-auth and authentication on, etcd's JSON
  # gateway (which the agents use) refuses every client certificate that has one.
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/$name.key" -out "$dir/$name.csr" \
    -subj "/O=autopilot" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -out "$dir/$name.pem" \
    -days "$days" -extfile "$dir/$name.ext" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

mode=
for arg in "$@"; do
  case $arg in
    --etcd) mode=etcd ;;
    --members) mode=member ;;
    *) [ -n "$mode" ] || usage
       if [ "$mode" = etcd ]; then issue "$arg" "DNS:etcd"; else issue "$arg" ""; fi ;;
  esac
done
chmod 0644 "$dir"/*.pem
echo "certificates in $dir: ca.pem, and NAME.pem / NAME.key for: $*" | sed 's/--etcd //; s/--members //'
