#!/bin/bash
# The monthly report over a month of 10,000,000 monitoring records (issue 13 item 4: under
# 10 s on SQLite and on PostgreSQL), HTML and PDF, side by side with the floor: the database's
# own command-line client running the report's heaviest queries (the month's record count and
# the blocked records grouped by account and category) on the same data.
#
#   bench/report/run.sh [RECORDS]        # default 10000000
#
# The records are generated inside each database (gen.sql.in: INSERT ... SELECT from a row
# generator), so making them takes a minute or two, not hours. PostgreSQL at
# CHARTER_BENCH_PG (default postgres://postgres@127.0.0.1:5432/postgres): a database of its
# own is made and dropped. Prints wall and CPU (user+sys) seconds and the load average.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-10000000}
WORK=${WORK:-/tmp/charter-bench-report}
PG=${CHARTER_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
MONTH=2026-11
FROM_US=$(( $(date -u -d "${MONTH}-01" +%s) * 1000000 ))
SPAN_US=$(( 30 * 86400 * 1000000 ))
rm -rf "$WORK" && mkdir -p "$WORK"
(cd "$ROOT" && cargo build --release -q -p charter-cli)
CHARTER="$ROOT/target/release/charter"

config() { # DIR URL
    mkdir -p "$1"
    printf 'policy = "%s"\n[store]\nurl = "%s"\n' "$ROOT/policies/demo.toml" "$2" > "$1/charter.toml"
    chmod 600 "$1/charter.toml"
}

# gen.sql.in with one engine's row generator and date arithmetic.
gen_sql() { # ENGINE
    local series day
    if [ "$1" = sqlite ]; then
        series='WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < COUNT - 1) SELECT i FROM n'
        day="date('${MONTH}-01', '+' || ((i / 500) % 30) || ' days')"
    else
        series='SELECT generate_series(0::bigint, COUNT - 1) AS i'
        day="to_char(date '${MONTH}-01' + ((i / 500) % 30)::int, 'YYYY-MM-DD')"
    fi
    sed -e "s|@SERIESN@|${series//COUNT/$N}|" -e "s|@SERIES500@|${series//COUNT/500}|" \
        -e "s|@SERIES120K@|${series//COUNT/120000}|" -e "s|@SERIES720@|${series//COUNT/720}|" \
        -e "s~@DAY@~$day~" -e "s|@FROM_US@|$FROM_US|g" -e "s|@SPAN_US@|$SPAN_US|g" -e "s|@N@|$N|g" \
        -e "s|@MONTH@|$MONTH|g" "$ROOT/bench/report/gen.sql.in"
}

# One run: NAME then the command; prints wall and CPU seconds.
measure() {
    local name=$1; shift
    /usr/bin/time -o "$WORK/$name.time" -f "%e %U %S %M" "$@" >/dev/null 2>"$WORK/$name.err" || {
        cat "$WORK/$name.err"; exit 1; }
    read -r wall user sys kib < "$WORK/$name.time"
    printf '%-28s %6.2f s wall %6.2f s CPU  peak %5.0f MiB  %s\n' "$name" "$wall" \
        "$(echo "$user + $sys" | bc -l)" "$(echo "$kib / 1024" | bc -l)" "$(cat /proc/loadavg | cut -d' ' -f1-3)"
}

FLOOR_SQL="SELECT COUNT(*) FROM decisions WHERE at >= $FROM_US AND at < $((FROM_US + SPAN_US));
SELECT user_name, categories, COUNT(*) FROM decisions WHERE verdict <> 'allow' AND verdict = 'block'
  AND at >= $FROM_US AND at < $((FROM_US + SPAN_US)) GROUP BY user_name, categories;"

echo "records: $N in $MONTH; load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"

# SQLite
config "$WORK/sqlite" "sqlite://$WORK/sqlite/charter.db"
"$CHARTER" report --month "$MONTH" --format html -o /dev/null --config "$WORK/sqlite/charter.toml" 2>/dev/null
start=$(date +%s)
gen_sql sqlite | sqlite3 -bail "$WORK/sqlite/charter.db"
echo "sqlite: generated in $(( $(date +%s) - start )) s, $(du -h "$WORK/sqlite/charter.db" | cut -f1)"
measure sqlite-floor-sqlite3 sqlite3 "$WORK/sqlite/charter.db" "$FLOOR_SQL"
measure sqlite-report-html "$CHARTER" report --month "$MONTH" --format html -o "$WORK/sqlite.html" --config "$WORK/sqlite/charter.toml"
measure sqlite-report-pdf "$CHARTER" report --month "$MONTH" --format pdf -o "$WORK/sqlite.pdf" --config "$WORK/sqlite/charter.toml"
rm -rf "$WORK/sqlite"

# PostgreSQL
DB=charter_bench_report_$$
psql -q "$PG" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'psql -q "$PG" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
PGDB="${PG%/*}/$DB"
config "$WORK/pg" "$PGDB"
"$CHARTER" report --month "$MONTH" --format html -o /dev/null --config "$WORK/pg/charter.toml" 2>/dev/null
# The month's partition, as the store makes on its first write of the month.
psql -q "$PGDB" -c "CREATE TABLE decisions_y2026m11 PARTITION OF decisions FOR VALUES FROM ($FROM_US) TO ($((FROM_US + SPAN_US)))"
start=$(date +%s)
gen_sql postgres | psql -q -v ON_ERROR_STOP=1 "$PGDB"
psql -q "$PGDB" -c "VACUUM ANALYZE"
echo "postgres: generated and vacuumed in $(( $(date +%s) - start )) s"
measure pg-floor-psql psql -q "$PGDB" -c "$FLOOR_SQL"
measure pg-report-html "$CHARTER" report --month "$MONTH" --format html -o "$WORK/pg.html" --config "$WORK/pg/charter.toml"
measure pg-report-pdf "$CHARTER" report --month "$MONTH" --format pdf -o "$WORK/pg.pdf" --config "$WORK/pg/charter.toml"
ls -l "$WORK"/*.html "$WORK"/*.pdf | awk '{print $5, $9}'
