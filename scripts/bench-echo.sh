#!/usr/bin/env bash
# Pipes N echo requests (default 200000) through a release echo node and
# prints messages per second. Not a test: the figure depends on the machine.
#
#   scripts/bench-echo.sh            # the `echo` part, target/release/echo
#   scripts/bench-echo.sh 500000     # more requests
#   BENCH_BIN=example scripts/bench-echo.sh   # common/examples/echo_bench.rs
set -euo pipefail
cd "$(dirname "$0")/.."

count="${1:-200000}"
case "$count" in
    ''|*[!0-9]*) echo "bench-echo: the request count must be a positive integer, got '$count'" >&2; exit 2 ;;
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

# Through pipes, as Maelstrom runs a node; the clock covers the node's whole
# life, start-up and the last reply included.
start=$(date +%s%N)
cat "$work/in" | "$bin" 2>"$work/err" | cat >"$work/out"
end=$(date +%s%N)

replies=$(grep -c '"echo_ok"' "$work/out" || true)
if [[ "$replies" -ne "$count" ]]; then
    echo "bench-echo: expected $count echo_ok replies from $bin, got $replies; its stderr:" >&2
    tail -n 20 "$work/err" >&2
    exit 1
fi
elapsed_ns=$((end - start))
awk -v n="$count" -v ns="$elapsed_ns" -v bin="$bin" 'BEGIN {
    printf "%s: %d echo requests in %.3f s = %.0f messages/second\n", bin, n, ns / 1e9, n / (ns / 1e9) }'
