#!/usr/bin/env bash
# Pipes N echo requests (default 200000) through a release echo node, RUNS
# times (default 5), and prints messages per second for each run and their
# median. Not a test: the figure depends on the machine, and on whatever
# else it is doing, which is why one run is not enough.
#
#   scripts/bench-echo.sh            # the `echo` part, target/release/echo
#   scripts/bench-echo.sh 500000     # more requests
#   RUNS=9 scripts/bench-echo.sh     # more runs
#   BENCH_BIN=example scripts/bench-echo.sh   # common/examples/echo_bench.rs
set -euo pipefail
cd "$(dirname "$0")/.."

count="${1:-200000}"
case "$count" in
    ''|0|*[!0-9]*) echo "bench-echo: the request count must be a positive integer, got '$count'" >&2; exit 2 ;;
esac
runs="${RUNS:-5}"
case "$runs" in
    ''|0|*[!0-9]*) echo "bench-echo: RUNS must be a positive integer, got '$runs'" >&2; exit 2 ;;
esac

case "${BENCH_BIN:-echo}" in
    echo)
        cargo build --quiet --release -p echo
        bin=target/release/echo ;;
    example)
        cargo build --quiet --release -p common --example echo_bench
        bin=target/release/examples/echo_bench ;;
    *) echo "bench-echo: BENCH_BIN must be 'echo' or 'example', got '$BENCH_BIN'" >&2; exit 2 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One init, then the requests, in the form Maelstrom sends them.
{
    echo '{"id":0,"src":"c0","dest":"n0","body":{"type":"init","node_id":"n0","node_ids":["n0"],"msg_id":1}}'
    awk -v n="$count" 'BEGIN { for (i = 1; i <= n; i++)
        printf "{\"id\":%d,\"src\":\"c1\",\"dest\":\"n0\",\"body\":{\"type\":\"echo\",\"echo\":\"Please echo %d\",\"msg_id\":%d}}\n", i, i, i }'
} >"$work/in"

rates=()
for run in $(seq 1 "$runs"); do
    # Through pipes, as Maelstrom runs a node; the clock covers the node's
    # whole life, start-up and the last reply included.
    start=$(date +%s%N)
    cat "$work/in" | "$bin" 2>"$work/err" | cat >"$work/out"
    end=$(date +%s%N)

    replies=$(grep -c '"echo_ok"' "$work/out" || true)
    if [[ "$replies" -ne "$count" ]]; then
        echo "bench-echo: run $run: expected $count echo_ok replies from $bin, got $replies; its stderr:" >&2
        tail -n 20 "$work/err" >&2
        exit 1
    fi
    rate=$(awk -v n="$count" -v ns="$((end - start))" 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
    awk -v run="$run" -v runs="$runs" -v n="$count" -v ns="$((end - start))" -v rate="$rate" 'BEGIN {
        printf "run %d/%d: %d echo requests in %.3f s = %d messages/second\n", run, runs, n, ns / 1e9, rate }'
    rates+=("$rate")
done

# The median (for an even number of runs, the mean of the middle two).
median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{ r[NR] = $1 } END {
    if (NR % 2) print r[(NR + 1) / 2]; else printf "%.0f\n", (r[NR / 2] + r[NR / 2 + 1]) / 2 }')
echo "$bin: median of $runs runs: $median messages/second"
