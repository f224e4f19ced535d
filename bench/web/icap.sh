#!/bin/bash
# Charter's ICAP REQMOD server side by side with c-icap's url_check module (Debian
# libc-icap-mod-urlcheck), both on the same UT1 data (c-icap reads the squidGuard databases
# `squidguard_setup.sh` builds from the same lists Charter imports) and the same query file,
# driven by `icapload` on kept connections as Squid keeps them. Charter runs as a site runs
# it: `charter serve` with the realistic pack, roles and every decision recorded into SQLite
# through the spool. Prints requests per second, latency and the ratio. Not run in CI.
#
# usage: bench/web/icap.sh [UT1_DIR] [WORK_DIR]
# Environment: SECONDS_EACH (default 20), CONNECTIONS (default 16), QUERIES (default 200000).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
UT1=$(cd "${1:-$ROOT/../shared/categories/ut1}" && pwd)
WORK=${2:-/tmp/charter-bench-icap}
SECS=${SECONDS_EACH:-20}
CONN=${CONNECTIONS:-16}
QUERIES=${QUERIES:-200000}
mkdir -p "$WORK"; chmod 755 "$WORK"

need() { command -v "$1" >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"; }; }
need c-icap c-icap; need squidGuard squidguard
[ -e /usr/lib/x86_64-linux-gnu/c_icap/srv_url_check.so ] || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libc-icap-mod-urlcheck; }

(cd "$ROOT" && cargo build --release -q -p charter-cli)
(cd "$ROOT/bench/web/icapload" && CARGO_TARGET_DIR="$WORK/icapload-target" cargo build --release -q)
CHARTER="$ROOT/target/release/charter"
LOAD="$WORK/icapload-target/release/charter-bench-icapload"
Q="$WORK/queries-realistic.txt"
[ -s "$Q" ] || python3 "$ROOT/bench/web/gen_realistic.py" "$UT1" "$QUERIES" "$Q" "$WORK/roles.txt"
# Rebuilt every run (under a second): an index from an older build may be in another format.
"$CHARTER" categories build --from "$UT1" -o "$WORK/ut1.idx" | sed -n 1p
[ -s "$WORK/sg/squidGuard.conf" ] || "$ROOT/bench/web/squidguard_setup.sh" "$UT1" "$WORK" >/dev/null

# Charter: serve with ICAP, the realistic pack and roles, recording into SQLite.
rm -rf "$WORK/state"; mkdir -p "$WORK/state"; chmod 700 "$WORK/state"
cat > "$WORK/charter.toml" <<TOML
policy = "$ROOT/bench/web/pack-realistic.toml"
categories = "$WORK/ut1.idx"
[store]
url = "sqlite://$WORK/state/charter.db"
[spool]
dir = "$WORK/state/spool"
[icap]
listen = "127.0.0.1:11345"
user_roles = "$WORK/roles.txt"
TOML
chmod 600 "$WORK/charter.toml"
"$CHARTER" serve --config "$WORK/charter.toml" --at "${AT:-2026-06-15T11:00}" 2> "$WORK/serve.log" &
SERVE=$!

# c-icap with url_check blocking every list Charter imports, from squidGuard's databases.
CI="$WORK/c-icap"; rm -rf "$CI"; mkdir -p "$CI"
{
  echo "Port 127.0.0.1:11346"
  echo "PidFile $CI/c-icap.pid"
  echo "CommandsSocket $CI/c-icap.ctl"
  echo "ServerLog $CI/server.log"
  echo "User root"
  echo "Group root"
  echo "StartServers 1"
  echo "MaxServers 1"
  echo "ThreadsPerChild $((CONN + 4))"
  echo "MinSpareThreads 1"
  echo "MaxSpareThreads $((CONN + 4))"
  echo "MaxKeepAliveRequests 0"
  echo "Timeout 300"
  echo "ModulesDir /usr/lib/x86_64-linux-gnu/c_icap"
  echo "ServicesDir /usr/lib/x86_64-linux-gnu/c_icap"
  echo "TemplateDir /usr/share/c_icap/templates/"
  echo "Service url_check srv_url_check.so"
  for db in "$WORK"/sg/db/*/; do
    name=$(basename "$db" | tr -- '-' '_')
    echo "url_check.LoadSquidGuardDB $name $db"
    echo "url_check.Profile default block $name"
  done
  echo "url_check.Profile default pass ALL"
} > "$CI/c-icap.conf"
c-icap -N -f "$CI/c-icap.conf" &
CICAP=$!
trap 'kill $SERVE $CICAP 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/11345) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/11346) 2>/dev/null && break
  sleep 0.2
done

# CPU ticks (user + system) of a process and its children, from /proc.
ticks() {
  local root=$1 total=0 pid stat
  for stat in /proc/[0-9]*/stat; do
    pid=${stat#/proc/}; pid=${pid%/stat}
    read -r -a f < "$stat" 2>/dev/null || continue
    if [ "$pid" = "$root" ] || [ "${f[3]}" = "$root" ]; then total=$((total + f[13] + f[14])); fi
  done
  echo "$total"
}
HZ=$(getconf CLK_TCK)
# measure NAME PID ADDR SERVICE: drives one server, prints its throughput and its own CPU per request.
measure() {
  local name=$1 pid=$2 addr=$3 service=$4 before after out reqs
  "$LOAD" "$addr" "$service" "$Q" "$CONN" 2 >/dev/null
  before=$(ticks "$pid")
  out=$("$LOAD" "$addr" "$service" "$Q" "$CONN" "$SECS")
  after=$(ticks "$pid")
  reqs=$(echo "$out" | awk '{print $1 * '"$SECS"'}')
  cpu_us=$(echo "($after - $before) * 1000000 / $HZ / $reqs" | bc -l)
  printf "%-32s %s  server CPU %.1f us/request\n" "$name" "$out" "$cpu_us"
  eval "cpu_$5=$cpu_us rps_$5=$(echo "$out" | awk '{print $1}')"
}
echo "== ICAP REQMOD, realistic mix, $CONN kept connections, ${SECS}s each (the load generator shares the machine)"
measure "charter serve (ICAP, recording)" "$SERVE" 127.0.0.1:11345 /reqmod charter
measure "c-icap url_check" "$CICAP" 127.0.0.1:11346 /url_check cicap
echo "ratio, requests per second: $(echo "$rps_charter / $rps_cicap" | bc -l | xargs printf '%.1f')x"
echo "ratio, server CPU per request: $(echo "$cpu_cicap / $cpu_charter" | bc -l | xargs printf '%.1f')x"
kill -TERM $SERVE; wait $SERVE 2>/dev/null || true
"$CHARTER" records stats --config "$WORK/charter.toml" | head -5
