#!/usr/bin/env bash
# Fuzzing (.ci/fuzz): cargo-fuzz from crates.io, built with the image's stable toolchain
# when missing. The fuzz targets themselves need the nightly toolchain, which the CI image
# carries through rustup; without it this fails rather than let CI pass without fuzzing.
set -euo pipefail

if ! rustup toolchain list | grep -q '^nightly-'; then
  echo "fuzz.sh: no nightly toolchain (rustup toolchain list), and the fuzz targets need one:" >&2
  echo "fuzz.sh: rustup toolchain install nightly --profile minimal" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi
echo "fuzz.sh: $(cargo fuzz --version), $(rustc +nightly --version)"
