#!/usr/bin/env bash
# Runs the consensus fault simulations (crash, partition, loss and delay, equivocation) over
# more seeds than CI does. Usage: scripts/sim.sh [SEEDS] [FIRST_SEED]   (default 2000 from 0).
# Seeds are independent: split a long run across machines with different FIRST_SEED values.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export TAO_SIM_SEEDS="${1:-2000}"
export TAO_SIM_SEED_START="${2:-0}"
echo "== $TAO_SIM_SEEDS seeds per scenario from seed $TAO_SIM_SEED_START"
cargo test --release -p tao-node --test faults -- --test-threads 2
