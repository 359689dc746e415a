#!/usr/bin/env bash
# The kafka checker's speed and memory on a synthetic history (a benchmark, not a test): prints
# the analysis time (wall and CPU), the verdict, and the peak memory of the whole process as
# /usr/bin/time -v reports it (the history itself included). Targets: a 1,000,000-entry history
# analysed in under 10 s and under 2 GB.
#
#   scripts/bench-kafka-checker.sh                 # 1,000,000 entries (500,000 ops), correct
#   scripts/bench-kafka-checker.sh 1000000 lossy   # 1,000,000 ops, a node that loses writes
#
# The figures depend on the machine and on what else it is doing (the CPU time less so than the
# wall time). The history is made by maelstrom/examples/kafka_checker_bench.rs, which says what
# it contains.
set -euo pipefail
cd "$(dirname "$0")/.."

ops="${1:-500000}"
case "$ops" in
    ''|0|*[!0-9]*) echo "bench-kafka-checker: the op count must be a positive integer, got '$ops'" >&2; exit 2 ;;
esac
mode="${2:-}"
case "$mode" in
    ''|lossy) ;;
    *) echo "bench-kafka-checker: the second argument may only be 'lossy', got '$mode'" >&2; exit 2 ;;
esac
if [ ! -x /usr/bin/time ]; then
    echo "bench-kafka-checker: needs GNU time at /usr/bin/time (apt-get install time)" >&2
    exit 2
fi

cargo build --quiet --release -p maelstrom --example kafka_checker_bench
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
/usr/bin/time -v -o "$report" target/release/examples/kafka_checker_bench "$ops" $mode
awk -F': ' '/Maximum resident set size/ { printf "peak memory (whole process): %.0f MB\n", $2 / 1024 }
            /Elapsed \(wall clock\)/     { print "whole process wall time: " $2 }' "$report"
