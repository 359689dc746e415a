#!/usr/bin/env bash
# The runner's speed: prints figures, passes or fails nothing but a broken
# run. The figures depend on the machine and on what else it is doing.
#
#   a. overhead: the wall time of `target/release/maelstrom test ...` beyond --time-limit (and
#      the 10 s recovery sleep of broadcast) for tutorial-sized runs; target under 0.5 s.
#   b. the highest echo --rate that 5 nodes with --concurrency 10 sustain, i.e. ok ops per
#      second of --time-limit within 5% of --rate; target at least 20,000 ops/s.
#   c. the analysis time for a ~100,000-op history, from the run's jepsen.log; target < 1 s.
#
#   scripts/bench-runner.sh
#   REPEAT=3 LIMIT=10 LADDER="10000 20000 40000" scripts/bench-runner.sh
#
# Every run happens in a temporary working directory (its store/ is removed afterwards). The
# whole script takes about two and a half minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

repeat="${REPEAT:-2}"   # runs of each tutorial-sized command in (a)
limit="${LIMIT:-5}"     # --time-limit of every run, seconds
ladder="${LADDER:-5000 10000 20000 30000 40000 60000 80000}"
for number in "$repeat" "$limit" $ladder; do
    case "$number" in
        ''|*[!0-9]*|0) echo "bench-runner: REPEAT, LIMIT and LADDER take positive integers, got '$number'" >&2; exit 2 ;;
    esac
done

cargo build --quiet --release -p maelstrom -p echo -p broadcast-3a -p broadcast-3b
release="$PWD/target/release"
runner="$release/maelstrom"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# run NAME ARGS...: runs the runner here, stdout and stderr to NAME.out; sets $wall_ms, $rc.
run() {
    local name="$1"
    shift
    local start end
    rm -rf store # so that store/latest can only be this run's
    start=$(date +%s%N)
    rc=0
    "$runner" test "$@" >"$name.out" 2>&1 || rc=$?
    end=$(date +%s%N)
    wall_ms=$(((end - start) / 1000000))
    launched_ms=$((start / 1000000))
    exited_ms=$((end / 1000000))
}

# log_ms PATTERN DEFAULT: the epoch milliseconds of the first store/latest/jepsen.log line
# containing PATTERN (its timestamp is local time, `2024-03-05 14:23:01,123`), else DEFAULT.
log_ms() {
    local stamp
    stamp=$(grep -m1 -F -- "$1" store/latest/jepsen.log 2>/dev/null | cut -c1-23 | tr , .) || true
    if [[ -n "$stamp" ]]; then date -d "$stamp" +%s%3N; else echo "$2"; fi
}

# The `:ok` ops of the last run (history.txt: process TAB type TAB f TAB value).
ok_ops() {
    if [[ -f store/latest/history.txt ]]; then
        awk -F'\t' '$2 == ":ok"' store/latest/history.txt | wc -l
    else
        echo 0
    fi
}

seconds() { awk -v ms="$1" 'BEGIN { printf "%+.3f s", ms / 1000 }'; }

echo "a. Overhead beyond --time-limit $limit (+ 10 s recovery for broadcast); target < 0.5 s"
echo "   overhead = wall - time limit [- 10 s]. It can be negative: like Jepsen, the main phase"
echo "   ends as soon as the next staggered op would start past the limit. start-up = launch to"
echo "   the run's first log line; after = from the end of the run to the runner's exit"
echo "   (teardown, history, analysis, results)."
overhead_cases=(
    "echo 0 -w echo --bin $release/echo --node-count 1 --time-limit $limit"
    "broadcast-3a 10 -w broadcast --bin $release/broadcast-3a --node-count 1 --time-limit $limit --rate 10"
    "broadcast-3b 10 -w broadcast --bin $release/broadcast-3b --node-count 5 --time-limit $limit --rate 10"
)
for case_line in "${overhead_cases[@]}"; do
    read -r -a words <<<"$case_line"
    name="${words[0]}"
    recovery_s="${words[1]}"
    args=("${words[@]:2}")
    echo "   maelstrom test ${args[*]/#$release\//target/release/}"
    for ((i = 1; i <= repeat; i++)); do
        run "$name" "${args[@]}"
        if [[ "$rc" -ne 0 ]]; then
            echo "     run $i: exit $rc (expected 0); its output:" >&2
            tail -n 20 "$name.out" >&2
            exit 1
        fi
        overhead_ms=$((wall_ms - (limit + recovery_s) * 1000))
        first_ms=$(log_ms " Seed " "$launched_ms")
        done_ms=$(log_ms "Run complete, writing" "$exited_ms")
        printf '     run %d: wall %.3f s, overhead %s (start-up %s, after %s)\n' "$i" \
            "$(awk -v ms="$wall_ms" 'BEGIN { print ms / 1000 }')" "$(seconds "$overhead_ms")" \
            "$(seconds $((first_ms - launched_ms)))" "$(seconds $((exited_ms - done_ms)))"
    done
done

echo
echo "b. Highest echo rate sustained: 5 nodes, --concurrency 10, --time-limit $limit; a step"
echo "   passes when the run is valid and ok ops / $limit s is within 5% of --rate; target >= 20,000"
best=0
failures=0
for rate in $ladder; do
    run "echo-$rate" -w echo --bin "$release/echo" --node-count 5 --concurrency 10 \
        --time-limit "$limit" --rate "$rate"
    ok=$(ok_ops)
    verdict=$(awk -v ok="$ok" -v limit="$limit" -v rate="$rate" -v rc="$rc" 'BEGIN {
        achieved = ok / limit; off = (achieved - rate) / rate
        printf "%.0f ops/s (%+.1f%%)", achieved, off * 100
        if (rc == 0 && off >= -0.05 && off <= 0.05) print " pass"; else print " FAIL" }')
    printf '   --rate %6d: %s ok ops, achieved %s, exit %d, wall %.1f s\n' "$rate" "$ok" \
        "$verdict" "$rc" "$(awk -v ms="$wall_ms" 'BEGIN { print ms / 1000 }')"
    if [[ "$verdict" == *pass ]]; then
        best="$rate"
        failures=0
    else
        # Two failed steps in a row: the higher ones would fail too, and take time.
        failures=$((failures + 1))
        [[ "$failures" -ge 2 ]] && break
    fi
done
echo "   highest passing rate: $best ops/s"

echo
echo "c. Analysis time for a ~100,000-op history (echo, 5 nodes, --concurrency 10,"
echo "   --rate 20000, --time-limit 5); target < 1 s"
run analysis -w echo --bin "$release/echo" --node-count 5 --concurrency 10 --time-limit 5 --rate 20000
analysis=$(grep -m1 -o 'Analysis took [0-9]* ms ([0-9]* history entries)' store/latest/jepsen.log || true)
written=$(grep -m1 -o 'Wrote the history ([0-9]* entries) in [0-9]* ms' store/latest/jepsen.log || true)
ops=$(grep -m1 -o ':count [0-9]*' store/latest/results.edn | cut -d' ' -f2 || true)
echo "   $ops ops (exit $rc): ${analysis:-no 'Analysis took' line in jepsen.log}"
echo "   history files: ${written:-no 'Wrote the history' line in jepsen.log}"
