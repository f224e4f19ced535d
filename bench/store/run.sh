#!/usr/bin/env bash
# Writes monitoring records in batches into SQLite and PostgreSQL, with the dashboard's
# indexes in place, and prints records per second side by side. Not run in CI.
#
#   bench/store/run.sh [N] [BATCH] [FLAGGED%]   default 500000 records in batches of 50000,
#                                                50% flagged (web traffic is mostly allowed: try 5)
#
# PostgreSQL comes from CHARTER_TEST_PG (default postgres://postgres@127.0.0.1:5432/postgres);
# a fresh database is created and dropped. The machine may be shared: the benchmark also
# prints records per CPU second of the writing process, which other load does not change.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-500000}
batch=${2:-50000}
flagged=${3:-50}
bash .ci/setup/store.sh >/dev/null
cargo bench -p charter-store --bench records -- "$n" "$batch" "$flagged"
