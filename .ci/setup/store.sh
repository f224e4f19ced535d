#!/usr/bin/env bash
# Makes sure PostgreSQL runs on 127.0.0.1:5432 and lets the local `postgres` role in without a
# password (trust), which the store's tests use to create one database per test.
# Installs it where it is missing (.ci/run installs .ci/packages/store.txt first).
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql postgresql-client >/dev/null
fi

ready() { pg_isready -q -h 127.0.0.1 -p 5432; }

if ! ready; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [ -z "$version" ]; then
    echo "store.sh: no PostgreSQL cluster found under /etc/postgresql" >&2
    exit 1
  fi
  conf=/etc/postgresql/$version/main
  # Trust local TCP connections: the tests connect as postgres without a password.
  if ! grep -q "charter-ci" "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust # charter-ci\nhost all all ::1/128 trust # charter-ci\nlocal all all trust # charter-ci' "$conf/pg_hba.conf"
  fi
  grep -q "^listen_addresses" "$conf/postgresql.conf" || echo "listen_addresses = 'localhost'" >> "$conf/postgresql.conf"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi

if ! ready; then
  echo "store.sh: PostgreSQL is not accepting connections on 127.0.0.1:5432" >&2
  exit 1
fi
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1" >/dev/null
echo "store.sh: PostgreSQL ready on 127.0.0.1:5432"
