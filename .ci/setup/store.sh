#!/usr/bin/env bash
# Makes sure PostgreSQL runs on 127.0.0.1:5432 and lets the `postgres` role in over local TCP
# without a password (trust): the store's tests connect as postgres and create one database
# per test. Installs PostgreSQL where it is missing (.ci/run installs .ci/packages/store.txt
# first; this covers running the script alone).
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql postgresql-client >/dev/null
fi

ready() { pg_isready -q -h 127.0.0.1 -p 5432; }

version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
if [ -z "$version" ]; then
  echo "store.sh: no PostgreSQL cluster under /etc/postgresql" >&2
  exit 1
fi
conf=/etc/postgresql/$version/main
changed=0
if ! grep -q "charter-ci" "$conf/pg_hba.conf"; then
  # First match wins in pg_hba.conf: put the trust lines on top.
  sed -i '1i host all all 127.0.0.1/32 trust # charter-ci\nhost all all ::1/128 trust # charter-ci' "$conf/pg_hba.conf"
  changed=1
fi

if ready; then
  if [ "$changed" = 1 ]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
  fi
else
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi

if ! ready; then
  echo "store.sh: PostgreSQL is not accepting connections on 127.0.0.1:5432" >&2
  exit 1
fi
psql -h 127.0.0.1 -U postgres -d postgres -w -tAc "SELECT 1" >/dev/null
echo "store.sh: PostgreSQL $version ready on 127.0.0.1:5432"
