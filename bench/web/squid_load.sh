#!/bin/bash
# End-to-end cost of filtering: real Squid (Debian) on loopback, driven by wrk at a fixed
# concurrency, unfiltered and then with Charter's external_acl helper and with squidGuard as
# url_rewrite program, on the same query file and the same UT1 data. Every request carries a
# proxy login (Squid's basic_fake_auth, in every run, so its cost is in the floor too); the
# origin is nginx on loopback behind `cache_peer ... originserver`, so no DNS and no internet.
# Prints requests per second and each filter's cost against unfiltered Squid. Not run in CI.
#
# usage: bench/web/squid_load.sh [UT1_DIR] [WORK_DIR]
# Environment: SECONDS_EACH (default 20), CONNECTIONS (default 32), QUERIES (default 200000),
# MIX (realistic | unlisted; default realistic), RECORD (1: the helper records every decision
# through its spool into a SQLite store, as a site runs it; needs a `charter.toml`).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
UT1=$(cd "${1:-$ROOT/../shared/categories/ut1}" && pwd)
WORK=${2:-/tmp/charter-bench-squid}
SECS=${SECONDS_EACH:-20}
CONN=${CONNECTIONS:-32}
QUERIES=${QUERIES:-200000}
MIX=${MIX:-realistic}
RECORD=${RECORD:-1}
mkdir -p "$WORK"; chmod 755 "$WORK"

need() { command -v "$1" >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"; }; }
need wrk wrk; need nginx nginx-light; need squidGuard squidguard; need squid squid-openssl

(cd "$ROOT" && cargo build --release -q -p charter-cli)
CHARTER="$ROOT/target/release/charter"
PACK="$ROOT/bench/web/pack-realistic.toml"
Q="$WORK/queries-$MIX.txt"
ROLES="$WORK/roles.txt"
if [ ! -s "$Q" ]; then
  # unlisted: only hosts no list names, so nothing is refused and every request costs Squid the
  # same work in every run: the difference is the filter alone.
  share=0.12; [ "$MIX" = unlisted ] && share=0
  LISTED_SHARE=$share python3 "$ROOT/bench/web/gen_realistic.py" "$UT1" "$QUERIES" "$Q" "$ROLES"
fi
# Rebuilt every run (under a second): an index from an older build may be in another format.
"$CHARTER" categories build --from "$UT1" -o "$WORK/ut1.idx" | sed -n 1p
[ -s "$WORK/sg/squidGuard.conf" ] || "$ROOT/bench/web/squidguard_setup.sh" "$UT1" "$WORK" >/dev/null

# The origin: nginx answering 200 to everything, kept-alive.
ORIGIN_PORT=18181
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  server { listen 127.0.0.1:$ORIGIN_PORT; location / { return 200 "ok\n"; } }
}
NGINX
nginx -c "$WORK/nginx.conf" -p "$WORK" 2>/dev/null || true
trap 'nginx -c "$WORK/nginx.conf" -p "$WORK" -s stop 2>/dev/null || true' EXIT

if [ "$RECORD" = 1 ]; then
  mkdir -p "$WORK/state"; chown proxy:proxy "$WORK/state"
  cat > "$WORK/charter.toml" <<TOML
policy = "$PACK"
categories = "$WORK/ut1.idx"
[store]
url = "sqlite://$WORK/state/charter.db"
[spool]
dir = "$WORK/state/spool"
TOML
  HELPER_CONFIG="--config $WORK/charter.toml"
else
  HELPER_CONFIG=""
fi

PORT=13128
# squid_run NAME FILTER_LINES: starts Squid with FILTER_LINES, drives it, prints the figures.
squid_run() {
  local name=$1 filter=$2 d="$WORK/squid-$1"
  rm -rf "$d"; mkdir -p "$d/logs"; chown -R proxy:proxy "$d"
  cat > "$d/squid.conf" <<SQUID
http_port 127.0.0.1:$PORT
pid_filename $d/logs/squid.pid
cache_log $d/logs/cache.log
access_log none
cache deny all
shutdown_lifetime 0 seconds
netdb_filename none
cache_peer 127.0.0.1 parent $ORIGIN_PORT 0 no-query originserver name=origin
never_direct allow all
auth_param basic program /usr/lib/squid/basic_fake_auth
auth_param basic children 4
auth_param basic credentialsttl 2 hours
acl authed proxy_auth REQUIRED
http_access deny !authed
$filter
http_access allow authed
http_access deny all
SQUID
  squid -N -f "$d/squid.conf" -n "bench$name" &
  local pid=$!
  for _ in $(seq 50); do grep -q "Accepting HTTP Socket" "$d/logs/cache.log" 2>/dev/null && break; sleep 0.2; done
  wrk -t1 -c"$CONN" -d2s -s "$ROOT/bench/web/squid_load.lua" "http://127.0.0.1:$PORT/" -- "$Q" "$QUERIES" >/dev/null 2>&1 || true
  local out
  out=$(wrk -t1 -c"$CONN" -d"${SECS}s" --latency -s "$ROOT/bench/web/squid_load.lua" "http://127.0.0.1:$PORT/" -- "$Q" "$QUERIES")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local rps p50 p99 non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  printf "%-12s %9.0f req/s   p50 %8s   p99 %8s   4xx-5xx %s\n" "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
  eval "rps_$name=$rps"
}

AT=${AT:-2026-06-15T11:00}
echo "== $MIX mix, $CONN connections, ${SECS}s each, pack $(basename "$PACK") at $AT, record=$RECORD"
squid_run unfiltered ""
squid_run charter "external_acl_type charter cache=0 children-max=4 children-startup=2 concurrency=100 %>ru %un %>a $CHARTER squid-helper --policy $PACK --categories $WORK/ut1.idx --user-roles $ROLES --at $AT $HELPER_CONFIG
acl charter_allowed external charter
http_access deny !charter_allowed"
squid_run squidguard "url_rewrite_program /usr/bin/squidGuard -c $WORK/sg/squidGuard.conf
url_rewrite_children 8 startup=4 idle=2"
cost() { echo "(1 - $1 / $rps_unfiltered) * 100" | bc -l | xargs printf '%.1f'; }
echo "cost against unfiltered Squid: charter $(cost "$rps_charter")%, squidGuard $(cost "$rps_squidguard")%"
