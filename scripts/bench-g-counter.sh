#!/usr/bin/env bash
# Runs the g-counter part under its challenge's command (3 nodes, rate 100, 20 s, partitions)
# with seeds 1..N (default 20), JOBS at a time (default 2), and prints one line per run and the
# tally of valid runs. Not a test: each run takes about 35 s (20 s of ops, 10 s of recovery), and
# what it shows is that the part passes reliably, seed after seed, on seq-kv's stale reads.
#
#   scripts/bench-g-counter.sh          # seeds 1..20
#   scripts/bench-g-counter.sh 5        # seeds 1..5
#   JOBS=4 scripts/bench-g-counter.sh   # four runs at a time
set -euo pipefail
cd "$(dirname "$0")/.."

count="${1:-20}"
case "$count" in
    ''|0|*[!0-9]*) echo "bench-g-counter: the run count must be a positive integer, got '$count'" >&2; exit 2 ;;
esac
jobs="${JOBS:-2}"
case "$jobs" in
    ''|0|*[!0-9]*) echo "bench-g-counter: JOBS must be a positive integer, got '$jobs'" >&2; exit 2 ;;
esac

cargo build --quiet --release -p g-counter -p maelstrom
root="$PWD"
out="$root/target/bench-g-counter"
rm -rf "$out"
mkdir -p "$out"

# One run in its own folder (its own store/), so that parallel runs never share one.
run() {
    local seed=$1 dir="$out/seed-$1"
    mkdir -p "$dir"
    (cd "$dir" && "$root/target/release/maelstrom" test -w g-counter \
        --bin "$root/target/release/g-counter" --node-count 3 --rate 100 --time-limit 20 \
        --nemesis partition --seed "$seed" >stdout.txt 2>&1) && echo 0 >"$dir/rc" || echo $? >"$dir/rc"
}

seq 1 "$count" | xargs -P "$jobs" -I{} bash -c "$(declare -f run); out='$out' root='$root' run {}"

valid=0
printf '%-6s %-8s %-7s %-12s %s\n' seed exit ok-ops final-reads acceptable
for seed in $(seq 1 "$count"); do
    dir="$out/seed-$seed"
    rc=$(cat "$dir/rc")
    results="$dir/store/latest/results.edn"
    finals=$(grep -o ':final-reads ([0-9 ]*)' "$results" 2>/dev/null | sed 's/:final-reads //' || true)
    acceptable=$(grep -o ':acceptable (\[[0-9 ]*\])' "$results" 2>/dev/null | sed 's/:acceptable //' || true)
    ok=$(grep -o ':ok-count [0-9]*' "$results" 2>/dev/null | head -1 | sed 's/:ok-count //' || true)
    printf '%-6s %-8s %-7s %-12s %s\n' "$seed" "$rc" "${ok:-?}" "${finals:-?}" "${acceptable:-?}"
    [ "$rc" = 0 ] && valid=$((valid + 1))
done
echo "g-counter: $valid of $count runs valid (runs in $out)"
