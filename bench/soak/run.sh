#!/bin/bash
# Soak test for `charter serve` (not run in CI): SECS seconds (default 600) of web (ICAP) and
# mail (milter) load mixed with hostile inputs (zip CPU bombs, ICAP requests that once
# panicked the codec, a slow client, an endless policy request), with a SIGTERM restart a third
# of the way in and a SIGKILL restart at two thirds. Prints requests answered, p50/p99
# latency, peak memory, and decisions answered against monitoring records stored.
#
# usage: bench/soak/run.sh [SECS] [WORK_DIR]     WORK_DIR default /tmp/charter-soak
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-600}
WORK=${2:-/tmp/charter-soak}
rm -rf "$WORK"
mkdir -p "$WORK"
chmod 700 "$WORK"

echo "== building"
(cd "$ROOT" && cargo build --release -q -p charter-cli)
(cd "$ROOT/bench/soak" && CARGO_TARGET_DIR="$WORK/target" cargo build --release -q)
python3 "$ROOT/bench/soak/hostile.py" "$WORK/hostile"

cp "$ROOT/policies/demo.toml" "$WORK/pack.toml"
cat > "$WORK/charter.toml" <<TOML
policy = "pack.toml"
[store]
url = "sqlite://$WORK/charter.db"
[icap]
listen = "127.0.0.1:11344"
[milter]
listen = "127.0.0.1:18891"
[policy_service]
listen = "127.0.0.1:10040"
TOML
chmod 600 "$WORK/charter.toml" "$WORK/pack.toml"

echo "== soak: $SECS s (server log: $WORK/charter.toml.serve.log)"
"$WORK/target/release/charter-soak" "$ROOT/target/release/charter" "$WORK/charter.toml" \
  "$WORK/charter.db" "$WORK/hostile" "$SECS"

echo "== charter records stats"
"$ROOT/target/release/charter" records stats --config "$WORK/charter.toml"
