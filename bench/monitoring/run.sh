#!/bin/bash
# Log ingestion side by side (issue 11 item 7): GoAccess 1.7 from Debian and `charter ingest
# squid` on the same generated Squid access.log, one core each (taskset), wall time, lines per
# second and peak memory (/usr/bin/time %M).
#
#   bench/monitoring/run.sh [LINES]          # default 5,000,000
#
# Runs: GoAccess (JSON report); charter parse+decide alone (--decide-only); charter full
# ingest (parse, categorise, decide, store) into SQLite, on one core and then free to use a
# second for the store's writes (PIN=no); the same into PostgreSQL
# (CHARTER_BENCH_PG, default postgres://postgres@127.0.0.1:5432/postgres; a database of its
# own is made and dropped). Needs: goaccess, python3, psql; UT1 lists in ../shared/categories/ut1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LINES=${1:-5000000}
UT1=${UT1:-$ROOT/../shared/categories/ut1}
WORK=${WORK:-/tmp/charter-bench-monitoring}
PG=${CHARTER_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
CORE=${CORE:-0}
mkdir -p "$WORK"
(cd "$ROOT" && cargo build --release -q -p charter-cli)
CHARTER="$ROOT/target/release/charter"

LOG="$WORK/access-$LINES.log"
[ -s "$LOG" ] || python3 "$ROOT/bench/monitoring/gen_access_log.py" "$UT1" "$LINES" "$LOG"
"$CHARTER" categories build --from "$UT1" -o "$WORK/ut1.idx" | sed -n 1p

# One run: NAME then the command; prints "NAME seconds lines/s peak_kib".
# Wall and CPU (user+sys) seconds both: the machine may be shared, and CPU time is the
# steadier figure there.
# PIN=no runs without taskset (charter's store writes then overlap on a second core).
measure() {
    local name=$1; shift
    local pin=(taskset -c "$CORE")
    [ "${PIN:-yes}" = no ] && pin=()
    /usr/bin/time -o "$WORK/$name.time" -f "%e %U %S %M" "${pin[@]}" "$@" >/dev/null 2>"$WORK/$name.err"
    read -r wall user sys kib < "$WORK/$name.time"
    local cpu
    cpu=$(echo "$user + $sys" | bc -l)
    printf '%-24s %7.1f s wall %10.0f lines/s | %7.1f s CPU %10.0f lines/s | peak %5.0f MiB\n' \
        "$name" "$wall" "$(echo "$LINES / $wall" | bc -l)" "$cpu" "$(echo "$LINES / $cpu" | bc -l)" "$(echo "$kib / 1024" | bc -l)"
}

config() { # DIR URL
    mkdir -p "$1"
    printf 'policy = "%s"\ncategories = "%s"\n[store]\nurl = "%s"\n' \
        "$ROOT/bench/web/pack-realistic.toml" "$WORK/ut1.idx" "$2" > "$1/charter.toml"
}

echo "lines: $LINES ($(du -hL "$LOG" | cut -f1)), one core (taskset -c $CORE) unless marked 2cpu"
measure goaccess goaccess "$LOG" --log-format='%x.%^ %~%L %h %^/%s %b %m %U %e %^' \
    --date-format=%s --time-format=%s -o "$WORK/goaccess.json" --no-progress

rm -rf "$WORK/decide" && config "$WORK/decide" "sqlite://$WORK/decide/charter.db"
measure charter-parse+decide "$CHARTER" ingest squid "$LOG" --decide-only --config "$WORK/decide/charter.toml"

rm -rf "$WORK/sqlite" && config "$WORK/sqlite" "sqlite://$WORK/sqlite/charter.db"
measure charter-full-sqlite "$CHARTER" ingest squid "$LOG" --config "$WORK/sqlite/charter.toml"
rm -rf "$WORK/sqlite2" && config "$WORK/sqlite2" "sqlite://$WORK/sqlite2/charter.db"
PIN=no measure charter-full-sqlite-2cpu "$CHARTER" ingest squid "$LOG" --config "$WORK/sqlite2/charter.toml"

DB=charter_bench_monitoring_$$
psql -q "$PG" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'psql -q "$PG" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"' EXIT
rm -rf "$WORK/pg" && config "$WORK/pg" "${PG%/*}/$DB"
measure charter-full-postgres "$CHARTER" ingest squid "$LOG" --config "$WORK/pg/charter.toml"
echo "records: sqlite $(sqlite3 "$WORK/sqlite/charter.db" 'SELECT COUNT(*) FROM decisions'), postgres $(psql -tA "${PG%/*}/$DB" -c 'SELECT COUNT(*) FROM decisions')"
