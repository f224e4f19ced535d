#!/bin/bash
# Charter's web lookups side by side with squidGuard (Debian), on the same UT1 data and the
# same query file in Squid's url_rewrite input format. Not run in CI; prints the figures.
#
# usage: bench/web/run.sh [UT1_DIR] [WORK_DIR]
#   UT1_DIR  default ../shared/categories/ut1 (never copied into the repository)
#   WORK_DIR default /tmp/charter-bench-web (queries, databases, outputs)
# Environment: QUERIES (default 1000000), LOCKSTEP (default 100000), BIG (default 4400000
# synthetic adult domains for the memory run; 0 skips it), MIX (`lookup`, the default: the
# query file of gen_queries.py and a pack blocking every category; `realistic`: gen_realistic.py's
# office traffic, 400 named users with roles, and pack-realistic.toml's windows and role
# exceptions on every category, decided at a working-hours instant), RECORD (1: Charter
# records every decision through its spool into a SQLite store, as a site runs the helper).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
UT1=$(cd "${1:-$ROOT/../shared/categories/ut1}" && pwd)
WORK=${2:-/tmp/charter-bench-web}
QUERIES=${QUERIES:-1000000}
LOCKSTEP=${LOCKSTEP:-100000}
BIG=${BIG:-4400000}
mkdir -p "$WORK"
chmod 755 "$WORK"

command -v squidGuard >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq squidguard; }
[ -x /usr/bin/time ] || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time; }

echo "== building"
(cd "$ROOT" && cargo build --release -q -p charter-cli)
(cd "$ROOT/bench/web/lockstep" && CARGO_TARGET_DIR="$WORK/lockstep-target" cargo build --release -q)
CHARTER="$ROOT/target/release/charter"
LOCK="$WORK/lockstep-target/release/charter-bench-lockstep"
MIX=${MIX:-lookup}
RECORD=${RECORD:-0}
if [ "$MIX" = realistic ]; then
  PACK="$ROOT/bench/web/pack-realistic.toml"
  Q="$WORK/queries-realistic-$QUERIES.txt"
  [ -s "$Q" ] || python3 "$ROOT/bench/web/gen_realistic.py" "$UT1" "$QUERIES" "$Q" "$WORK/roles.txt"
  EXTRA=(--user-roles "$WORK/roles.txt" --at "${AT:-2026-06-15T11:00}")
else
  PACK="$ROOT/bench/web/pack.toml"
  Q="$WORK/queries-$QUERIES.txt"
  [ -s "$Q" ] || python3 "$ROOT/bench/web/gen_queries.py" "$UT1" "$QUERIES" "$Q"
  EXTRA=()
fi
if [ "$RECORD" = 1 ]; then
  rm -rf "$WORK/state"; mkdir -p "$WORK/state"; chmod 700 "$WORK/state"
  printf 'policy = "%s"\ncategories = "%s"\n[store]\nurl = "sqlite://%s"\n[spool]\ndir = "%s"\n' \
    "$PACK" "$WORK/ut1.idx" "$WORK/state/charter.db" "$WORK/state/spool" > "$WORK/charter.toml"
  EXTRA+=(--config "$WORK/charter.toml")
fi
echo "== mix: $MIX, recording: $RECORD"
"$ROOT/bench/web/squidguard_setup.sh" "$UT1" "$WORK"
"$CHARTER" categories build --from "$UT1" -o "$WORK/ut1.idx" | sed -n 1p

# run NAME CMD...: feeds $Q, prints wall, cpu, peak RSS; leaves output in $WORK/NAME.out
run() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/$name.time" "$@" < "$Q" > "$WORK/$name.out" 2>/dev/null
  read -r wall user sys rss < "$WORK/$name.time"
  blocks=$(grep -c -E 'status=302|rewrite-url=' "$WORK/$name.out" || true)
  cpu=$(echo "$user + $sys" | bc)
  printf "%-11s %9.2f s wall %9.0f/s  %8.2f s cpu %9.0f/s  blocks %7d  peak RSS %6.1f MB\n" \
    "$name" "$wall" "$(echo "$QUERIES / $wall" | bc -l)" "$cpu" "$(echo "$QUERIES / $cpu" | bc -l)" "$blocks" "$(echo "$rss / 1024" | bc -l)"
  eval "${name}_wall=$wall ${name}_cpu=$cpu ${name}_blocks=$blocks"
}

echo "== throughput: $QUERIES url_rewrite lines, one process each, fed from a file"
run charter "$CHARTER" squid-helper --mode url-rewrite --policy "$PACK" --categories "$WORK/ut1.idx" "${EXTRA[@]}"
run charter_t2 "$CHARTER" squid-helper --threads 2 --mode url-rewrite --policy "$PACK" --categories "$WORK/ut1.idx" "${EXTRA[@]}"
run squidguard squidGuard -c "$WORK/sg/squidGuard.conf"
echo "ratio (wall): $(echo "$squidguard_wall / $charter_wall" | bc -l | xargs printf '%.0f')x   ratio (cpu): $(echo "$squidguard_cpu / $charter_cpu" | bc -l | xargs printf '%.0f')x"
echo "ratio, charter --threads 2 (wall): $(echo "$squidguard_wall / $charter_t2_wall" | bc -l | xargs printf '%.0f')x"
echo "blocks: charter $charter_blocks, squidGuard $squidguard_blocks, difference $(echo "($charter_blocks - $squidguard_blocks) * 100 / $squidguard_blocks" | bc -l | xargs printf '%.3f')%"

echo "== lockstep latency: one line, wait for the reply ($LOCKSTEP requests)"
"$LOCK" "$Q" "$LOCKSTEP" -- cat | sed 's/^/pipe floor (cat): /'
"$LOCK" "$Q" "$LOCKSTEP" -- "$CHARTER" squid-helper --mode url-rewrite --policy "$PACK" --categories "$WORK/ut1.idx" "${EXTRA[@]}" | sed 's/^/charter:          /'
"$LOCK" "$Q" 20000 -- squidGuard -c "$WORK/sg/squidGuard.conf" | sed 's/^/squidGuard:       /'
# On a VM a wake-up across cores costs more than the pipe itself; with both ends pinned to one
# core the floor is the pipe round trip the issue's "about 5 us" refers to.
echo "-- both ends pinned to one core"
taskset -c 1 "$LOCK" "$Q" "$LOCKSTEP" -- taskset -c 1 cat | sed 's/^/pipe floor (cat): /'
taskset -c 1 "$LOCK" "$Q" "$LOCKSTEP" -- taskset -c 1 "$CHARTER" squid-helper --mode url-rewrite --policy "$PACK" --categories "$WORK/ut1.idx" "${EXTRA[@]}" | sed 's/^/charter:          /'

if [ "$BIG" != 0 ]; then
  echo "== memory with UT1 plus $BIG synthetic adult domains"
  A="$WORK/adult-synthetic-$BIG.txt"
  [ -s "$A" ] || python3 "$ROOT/bench/web/gen_adult.py" "$BIG" "$A"
  rm -rf "$WORK/ut1big"; mkdir "$WORK/ut1big"
  for d in "$UT1"/*/; do n=$(basename "$d"); [ "$n" = adult ] || ln -s "$d" "$WORK/ut1big/$n"; done
  mkdir "$WORK/ut1big/adult"; [ -f "$UT1/adult/urls" ] && ln -s "$UT1/adult/urls" "$WORK/ut1big/adult/urls"
  ln -s "$A" "$WORK/ut1big/adult/domains"
  "$CHARTER" categories build --from "$WORK/ut1big" -o "$WORK/big.idx" | sed -n 1p
  /usr/bin/time -f "index load + one lookup: %e s, peak RSS %M KB" "$CHARTER" categories lookup www.bet365.com --categories "$WORK/big.idx" > /dev/null
  run charter_big "$CHARTER" squid-helper --mode url-rewrite --policy "$PACK" --categories "$WORK/big.idx"
fi
