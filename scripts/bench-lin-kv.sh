#!/usr/bin/env bash
# Benchmark of the lin-kv linearizability checker, in release mode:
#  1. per-key time on Maelstrom-shaped keys (2,000 ops, 6 live clients, 15 crashed writes/cas)
#     and their one-change mutants, one thread;
#  2. BIG_KEYS such keys at once (default 1,000 = 10^6 ops): wall and CPU time, peak memory;
#  3. with PORCUPINE=path/to/driver, the same per-key histories checked by Porcupine v1.3 (a Go
#     driver kept outside this repository; see the README's Benchmarks), GOMAXPROCS=1, each
#     history bounded by PORCUPINE_BOUND seconds (default 10), and the verdicts compared;
#  4. a RUN_SECONDS-long lin-kv run (default 60; 0 skips it) of the correct test node
#     (`lin_kv_nodes proxy`, 3 nodes, --concurrency 4n --rate 100 --nemesis partition), then
#     `maelstrom analyze` on its folder, timed: the wall time of the whole analysis and the
#     checker's own share from results.edn's :analysis.
#
#   scripts/bench-lin-kv.sh [KEYS] [BIG_KEYS] [RUN_SECONDS]      (defaults 50, 1000, 60)
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${1:-50}
BIG_KEYS=${2:-1000}
RUN_SECONDS=${3:-60}
cargo build --release --quiet -p maelstrom --example lin_kv_checker_bench --example lin_kv_nodes
cargo build --release --quiet -p maelstrom
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
target/release/examples/lin_kv_checker_bench --keys "$KEYS" --big-keys "$BIG_KEYS" \
    --porcupine-out "$out/histories.txt"
if [ -n "${PORCUPINE:-}" ]; then
    GOMAXPROCS=1 "$PORCUPINE" "$out/histories.txt" "${PORCUPINE_BOUND:-10}"
fi
if [ "$RUN_SECONDS" -gt 0 ]; then
    echo "a ${RUN_SECONDS} s lin-kv run of lin_kv_nodes proxy (its output in $out/run.log)"
    target/release/maelstrom test -w lin-kv --bin target/release/examples/lin_kv_nodes --node-count 3 \
        --concurrency 4n --rate 100 --time-limit "$RUN_SECONDS" --nemesis partition -- proxy \
        >"$out/run.log" 2>&1 || true
    run=$(readlink -f store/latest)
    ops=$(grep -c ':type :invoke' "$run/history.edn" || true)
    start=$(date +%s%N)
    target/release/maelstrom analyze "$run" >"$out/analyze.log" 2>&1 || true
    end=$(date +%s%N)
    echo "maelstrom analyze $run: $(( (end - start) / 1000000 )) ms wall for $ops ops," \
        "$(grep -o ':valid? [a-z:]*' "$out/analyze.log" | tail -1)"
    echo "results.edn's :analysis (ms: all checkers; \"workload\": the linearizability check):"
    grep -A8 ':analysis {' "$run/results.edn" | sed '/:views/,$d'
fi
