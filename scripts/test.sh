#!/usr/bin/env bash
# Runs every test of the workspace. Creates (once) the Python venv that the interop tests use,
# with the pinned bittensor packages, then runs cargo nextest over the whole workspace.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
venv="$repo/.venv"
if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c 'import bittensor_wallet, bittensor' >/dev/null 2>&1; then
  echo "== creating $venv with the pinned Python packages (scripts/requirements-interop.txt)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-interop.txt
fi
export TAO_PYTHON="$venv/bin/python3"
if ! command -v cargo-nextest >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi
cargo nextest run --workspace --no-fail-fast "$@"
