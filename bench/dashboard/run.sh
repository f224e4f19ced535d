#!/usr/bin/env bash
# The dashboard under load over 10,000,000 monitoring records (issue 12 item 8): the overview
# and a person's timeline (GET /api/people/{id}/records, 50 a page, with a reason: each read
# is audited) with 20 concurrent users, on SQLite and on PostgreSQL; p95 target 100 ms.
#
#   bench/dashboard/run.sh [RECORDS] [SECONDS]     default 10000000 records, 20 s a load
#
# The records (30 days of 25 people's web and mail, 2% flagged) are generated inside the
# database by SQL (a recursive CTE on SQLite, generate_series on PostgreSQL); the people,
# accounts and the login are made with `charter` as an administrator would. The load
# generator is wrk (20 connections, 2 threads) on loopback, signed in as a compliance officer
# (tools/dashboard-session.py). The machine may be shared: the load average and the server's
# CPU seconds are printed with each figure. PostgreSQL: CHARTER_TEST_PG (default
# postgres://postgres@127.0.0.1:5432/postgres); a database charter_bench is made and dropped.
# CHARTER=PATH uses that binary instead of building the release one. Not run in CI (it needs
# minutes and a few GB).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
records=${1:-10000000}
seconds=${2:-20}
pg_admin=${CHARTER_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
pg_url=${pg_admin%/*}/charter_bench

if [ -z "${CHARTER:-}" ]; then
  cargo build --release -q -p charter-cli
fi
charter=${CHARTER:-$root/target/release/charter}
work=$(mktemp -d /tmp/charter-dashboard-bench.XXXXXX)
serve=
cleanup() {
  if [ -n "$serve" ]; then kill "$serve" 2>/dev/null || true; wait "$serve" 2>/dev/null || true; fi
  rm -rf "$work"
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS charter_bench" 2>/dev/null || true
}
trap cleanup EXIT

cat > "$work/pack.toml" <<'PACK'
[policy]
id = "bench"
title = "Dashboard benchmark pack"
source = "bench/dashboard"
timezone = "Europe/London"
[organisation]
name = "Acme Ltd"
domains = ["acme.test"]
roles = ["staff", "compliance"]
[governance]
register_roles = ["compliance"]
compliance_roles = ["compliance"]
data_protection_roles = ["compliance"]
access_approvers = ["compliance"]
PACK

# 30 days ending now, in microseconds; record i is user (i % 25) at start + i * step.
now_us=$(( $(date +%s) * 1000000 ))
span_us=$(( 30 * 86400 * 1000000 ))
step_us=$(( span_us / records ))
start_us=$(( now_us - span_us ))
columns="at, user_name, source, subject, verdict, rule, check_name, severity, categories, privacy, detail, findings"
# One row's values from the integer i.
values="$start_us + i * $step_us, 'user' || (i % 25),
  CASE WHEN i % 10 = 0 THEN 'mail' ELSE 'web' END,
  CASE WHEN i % 10 = 0 THEN 'From: user' || (i % 25) || '@acme.test To: x' || (i % 977) || '@client.test Subject: order ' || i
       ELSE 'https://site' || (i % 4999) || '.example/page/' || (i % 101) END,
  CASE WHEN i % 50 = 0 THEN 'block' ELSE 'allow' END,
  CASE WHEN i % 50 = 0 THEN 'web.adult' END, CASE WHEN i % 50 = 0 THEN 'prohibited_category' END,
  CASE WHEN i % 50 = 0 THEN 'gross_misconduct' END, CASE WHEN i % 10 <> 0 THEN 'news' END,
  'full', NULL, '[]'"

site() { # backend store-url
  local dir=$work/$1
  mkdir -p "$dir"
  cp "$work/pack.toml" "$dir/"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  url=http://127.0.0.1:$port
  printf 'policy = "pack.toml"\n[store]\nurl = "%s"\n[server]\nlisten = "127.0.0.1:%s"\npublic_url = "%s"\n' "$2" "$port" "$url" > "$dir/charter.toml"
  cd "$dir"
  "$charter" people add --first Cat --last Officer --roles staff,compliance --config charter.toml >/dev/null
  for n in $(seq 0 24); do
    "$charter" people add --first "Person$n" --last Staff --roles staff --config charter.toml >/dev/null
    "$charter" accounts add "Person$n Staff" --system proxy --name "user$n" --config charter.toml >/dev/null
  done
  secret=$(printf 'correct horse battery\n' | "$charter" users add "Cat Officer" --login cat --password-stdin --json --config charter.toml |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["totp_secret"])')
  people=$("$charter" people list --json --config charter.toml |
    python3 -c 'import json, sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin) if p["last_name"] == "Staff"))')
  cd "$root"
}

load() { # backend
  local dir=$work/$1
  (cd "$dir" && exec "$charter" serve --config charter.toml 2> serve.log) &
  serve=$!
  for _ in $(seq 1 300); do grep -q "Warn and hold pages started." "$dir/serve.log" 2>/dev/null && break; sleep 0.1; done
  local pid
  pid=$(pgrep -P "$serve" -x charter || echo "$serve")
  read -r token _ < <(printf 'correct horse battery\n' | python3 tools/dashboard-session.py "$url" cat "$secret")
  for what in overview timeline; do
    local env_people=
    [ "$what" = timeline ] && env_people=$people
    # Warm the caches, then measure.
    TOKEN=$token PEOPLE=$env_people wrk -t2 -c20 -d3s -s bench/dashboard/wrk.lua "$url" >/dev/null
    local cpu0 cpu1
    cpu0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    local out
    out=$(TOKEN=$token PEOPLE=$env_people wrk -t2 -c20 -d"${seconds}s" -s bench/dashboard/wrk.lua "$url")
    cpu1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    local p95 verdict
    p95=$(echo "$out" | sed -n 's/.*p95 \([0-9.]*\) ms.*/\1/p')
    verdict=$(awk -v p="$p95" 'BEGIN { print (p < 100) ? "under the 100 ms target" : "OVER the 100 ms target" }')
    printf '%-10s %-9s %s | p95 %s | server CPU %.1f s in %s s | load %s\n' "$1" "$what" \
      "$(echo "$out" | grep '^p50')" "$verdict" "$(echo "($cpu1 - $cpu0) / $(getconf CLK_TCK)" | bc -l)" "$seconds" \
      "$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "$out" | grep '^requests' | sed "s/^/           /"
  done
  kill "$serve"; wait "$serve" 2>/dev/null || true; serve=
}

echo "== SQLite: $records records"
site sqlite "sqlite://charter.db"
t0=$(date +%s)
sqlite3 "$work/sqlite/charter.db" <<SQL
PRAGMA synchronous = OFF;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $records - 1)
INSERT INTO decisions ($columns) SELECT $values FROM n;
ANALYZE;
.output /dev/null
PRAGMA wal_checkpoint(TRUNCATE);
SQL
# The load measures the dashboard, not the kernel writing back the generated gigabyte.
sync
echo "generated in $(( $(date +%s) - t0 )) s, $(du -sh "$work/sqlite" | cut -f1)"
load sqlite

echo "== PostgreSQL: $records records"
psql "$pg_admin" -qc "DROP DATABASE IF EXISTS charter_bench" -c "CREATE DATABASE charter_bench"
site postgres "$pg_url"
t0=$(date +%s)
psql "$pg_url" -q <<SQL
INSERT INTO decisions ($columns) SELECT $values FROM generate_series(0::bigint, $records - 1) AS i;
VACUUM ANALYZE decisions;
CHECKPOINT;
SQL
# As for SQLite: the checkpointer's write-back of the generated rows is not the dashboard's.
sync
echo "generated in $(( $(date +%s) - t0 )) s"
load postgres
