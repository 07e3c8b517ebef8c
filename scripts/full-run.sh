#!/usr/bin/env bash
# The reliability suite at full size (README, "Reliability"): kill -9 rounds,
# fuzzing, the connection flood and the soak at the sizes the issue measured.
# About 45 minutes on 2 cores. Usage: scripts/full-run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export SYNDIC_CRASH_ROUNDS=50
export PROPTEST_CASES=20000 SYNDIC_FUZZ_RECORDS=5000
export SYNDIC_FLOOD_CONNECTIONS=8400 SYNDIC_FLOOD_SECONDS=20
export SYNDIC_SOAK_SECONDS=300 SYNDIC_SOAK_CLIENTS=256
for module in crash fuzz flood disk_full soak; do
  echo "== $module"
  cargo test --release --test it "$module::" -- --nocapture --test-threads 1
done
