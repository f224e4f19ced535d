#!/usr/bin/env bash
# Dashboard tests: the browser tests' npm packages (playwright-core and axe-core, pinned by
# tests/browser/package-lock.json; no browser download: they drive /usr/bin/chromium), and
# schemathesis from PyPI in a virtual environment under target/ (ignored by git) for
# .ci/schemathesis.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "dashboard.sh: playwright-core needs Node 20 or later; found $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi
(cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)

venv=target/ci-python
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
echo "dashboard.sh: $(/usr/bin/chromium --version), node $(node --version), $("$venv/bin/st" --version)"
