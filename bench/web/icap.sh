#!/bin/bash
# Charter's ICAP REQMOD server side by side with c-icap's url_check module (Debian
# libc-icap-mod-urlcheck), both on the same UT1 data (c-icap reads the squidGuard databases
# `squidguard_setup.sh` builds from the same lists Charter imports) and the same query file,
# driven by `icapload` on kept connections as Squid keeps them. Charter runs as a site runs
# it: `charter serve` with every decision recorded into SQLite through the spool. Two mixes,
# each measured paired (Charter, then c-icap, in the same run): `realistic` (gen_realistic.py's
# office traffic, 400 named users with roles, pack-realistic.toml's windows and role
# exceptions, at a working-hours instant) and `lookup` (gen_queries.py's query file,
# pack.toml blocking every category). Prints requests per second, latency, each server's own
# CPU per request (user + system, from /proc, every thread) and the ratios. Not run in CI.
#
# usage: bench/web/icap.sh [UT1_DIR] [WORK_DIR]
# Environment: SECONDS_EACH (default 20), CONNECTIONS (default 16), QUERIES (default 200000),
# MIXES (default "realistic lookup"), CHARTER (a charter binary to measure instead of building
# this checkout's, such as an older build to compare with).
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

if [ -z "${CHARTER:-}" ]; then
  (cd "$ROOT" && cargo build --release -q -p charter-cli)
  CHARTER="$ROOT/target/release/charter"
fi
(cd "$ROOT/bench/web/icapload" && CARGO_TARGET_DIR="$WORK/icapload-target" cargo build --release -q)
LOAD="$WORK/icapload-target/release/charter-bench-icapload"
MIXES=${MIXES:-realistic lookup}
[ -s "$WORK/queries-realistic.txt" ] || python3 "$ROOT/bench/web/gen_realistic.py" "$UT1" "$QUERIES" "$WORK/queries-realistic.txt" "$WORK/roles.txt"
[ -s "$WORK/queries-lookup.txt" ] || python3 "$ROOT/bench/web/gen_queries.py" "$UT1" "$QUERIES" "$WORK/queries-lookup.txt"
# Rebuilt every run (under a second): an index from an older build may be in another format.
"$CHARTER" categories build --from "$UT1" -o "$WORK/ut1.idx" | sed -n 1p
[ -s "$WORK/sg/squidGuard.conf" ] || "$ROOT/bench/web/squidguard_setup.sh" "$UT1" "$WORK" >/dev/null

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
SERVE=
trap 'kill $SERVE $CICAP 2>/dev/null || true' EXIT
# up PORT: waits until something listens on PORT.
up() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing listens on $1" >&2; exit 1
}
up 11346

# CPU ticks (user + system) of a process and its children, from /proc.
ticks() {
  local root=$1 total=0 pid stat
  for stat in /proc/[0-9]*/stat; do
    pid=${stat#/proc/}; pid=${pid%/stat}
    read -r -a f 2>/dev/null < "$stat" || continue
    if [ "$pid" = "$root" ] || [ "${f[3]}" = "$root" ]; then total=$((total + f[13] + f[14])); fi
  done
  echo "$total"
}
HZ=$(getconf CLK_TCK)
# settle PID: waits until the process is idle (under 2% of a core for half a second), so
# that its CPU figure includes finishing what the load gave it (Charter: storing the
# records of the run into SQLite, which goes on after the last answer).
settle() {
  local a b
  for _ in $(seq 60); do
    a=$(ticks "$1"); sleep 0.5; b=$(ticks "$1")
    [ $((b - a)) -le $((HZ / 100)) ] && return 0
  done
}
# measure NAME PID ADDR SERVICE: drives one server, prints its throughput and its own CPU per
# request, counted from the start of the run until it is idle again.
measure() {
  local name=$1 pid=$2 addr=$3 service=$4 before after out reqs
  "$LOAD" "$addr" "$service" "$Q" "$CONN" 2 >/dev/null
  settle "$pid"
  before=$(ticks "$pid")
  out=$("$LOAD" "$addr" "$service" "$Q" "$CONN" "$SECS")
  settle "$pid"
  after=$(ticks "$pid")
  reqs=$(echo "$out" | awk '{print $1 * '"$SECS"'}')
  cpu_us=$(echo "($after - $before) * 1000000 / $HZ / $reqs" | bc -l)
  printf "%-32s %s  server CPU %.1f us/request\n" "$name" "$out" "$cpu_us"
  eval "cpu_$5=$cpu_us rps_$5=$(echo "$out" | awk '{print $1}')"
}
# serve_charter PACK ROLES: starts `charter serve` with ICAP and the pack, recording into a
# fresh SQLite store through the spool; sets SERVE.
serve_charter() {
  rm -rf "$WORK/state"; mkdir -p "$WORK/state"; chmod 700 "$WORK/state"
  {
    echo "policy = \"$1\""
    echo "categories = \"$WORK/ut1.idx\""
    echo "[store]"
    echo "url = \"sqlite://$WORK/state/charter.db\""
    echo "[spool]"
    echo "dir = \"$WORK/state/spool\""
    echo "[icap]"
    echo "listen = \"127.0.0.1:11345\""
    if [ -n "$2" ]; then echo "user_roles = \"$2\""; fi
  } > "$WORK/charter.toml"
  chmod 600 "$WORK/charter.toml"
  "$CHARTER" serve --config "$WORK/charter.toml" --at "${AT:-2026-06-15T11:00}" 2> "$WORK/serve.log" &
  SERVE=$!
  up 11345
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for MIX in $MIXES; do
  Q="$WORK/queries-$MIX.txt"
  if [ "$MIX" = realistic ]; then
    serve_charter "$ROOT/bench/web/pack-realistic.toml" "$WORK/roles.txt"
  else
    serve_charter "$ROOT/bench/web/pack.toml" ""
  fi
  echo "== ICAP REQMOD, $MIX mix, $CONN kept connections, ${SECS}s each (the load generator shares the machine)"
  measure "charter serve (ICAP, recording)" "$SERVE" 127.0.0.1:11345 /reqmod charter
  measure "c-icap url_check" "$CICAP" 127.0.0.1:11346 /url_check cicap
  echo "ratio, requests per second: $(echo "$rps_charter / $rps_cicap" | bc -l | xargs printf '%.1f')x"
  echo "ratio, server CPU per request: $(echo "$cpu_cicap / $cpu_charter" | bc -l | xargs printf '%.1f')x"
  kill -TERM $SERVE; wait $SERVE 2>/dev/null || true
  SERVE=
  "$CHARTER" records stats --config "$WORK/charter.toml" | head -5
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
done
