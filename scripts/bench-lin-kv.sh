#!/usr/bin/env bash
# Benchmark of the lin-kv linearizability checker: per-key time on Maelstrom-shaped keys (2,000
# ops, 6 live clients, 15 crashed writes/cas) and their one-change mutants, then many keys at once
# (wall time and peak memory). With PORCUPINE=path/to/driver, the same per-key histories are also
# checked by Porcupine v1.3 (a Go driver kept outside this repository; see the README's
# Benchmarks) and the verdicts compared.
#
#   scripts/bench-lin-kv.sh [KEYS] [BIG_KEYS]      (defaults 50 and 500)
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${1:-50}
BIG_KEYS=${2:-500}
cargo build --release --quiet -p maelstrom --example lin_kv_checker_bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
target/release/examples/lin_kv_checker_bench --keys "$KEYS" --big-keys "$BIG_KEYS" \
    --porcupine-out "$out/histories.txt"
if [ -n "${PORCUPINE:-}" ]; then
    GOMAXPROCS=1 "$PORCUPINE" "$out/histories.txt"
fi
