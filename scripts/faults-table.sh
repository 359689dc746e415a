#!/usr/bin/env bash
# Runs every part under `--nemesis kill` and under `--nemesis pause`, each with its challenge's
# command (README, "Following part by part") with three changes: the fault replaces any
# `--nemesis partition`, the time limit is at most 20 s (unique-ids' 30 s becomes 20 s), and
# 3d/3e's latency and message targets are left out (as for their partition runs: under faults
# only correctness is judged). Each run uses the first seed from 1 whose faults hit at least one
# node (printed, with the number of nodes killed or paused), so it repeats.
#
#   scripts/faults-table.sh                # every part, both faults: about 20 minutes
#   scripts/faults-table.sh kafka          # only the parts whose name starts so
#   MAELSTROM=/path/to/maelstrom scripts/faults-table.sh   # another runner binary or launcher
#   BUILD=0 scripts/faults-table.sh        # the parts' release binaries are already built
#
# Prints one line per run: part, fault, seed, hits, exit status, :valid?, and the summary's "valid?" line
# (which checkers failed). Each run works in target/faults-table/<part>-<fault>/.
# Not a test: which parts pass depends on when the faults fall; the seed fixes that.
set -euo pipefail
cd "$(dirname "$0")/.."

workspace="$(pwd)"
maelstrom="$(realpath "${MAELSTROM:-maelstrom/maelstrom}")"
only="${1:-}"

bc='-w broadcast --node-count 25 --time-limit 20 --rate 100 --latency 100'
kafka='-w kafka --concurrency 2n --time-limit 20 --rate 1000'
txn='-w txn-rw-register --time-limit 20 --rate 1000 --concurrency 2n --availability total'
# part | runner arguments after --bin (without --nemesis)
runs=(
    "echo|-w echo --node-count 1 --time-limit 10"
    "unique-ids|-w unique-ids --time-limit 20 --rate 1000 --node-count 3 --availability total"
    "broadcast-3a|-w broadcast --node-count 1 --time-limit 20 --rate 10"
    "broadcast-3b|-w broadcast --node-count 5 --time-limit 20 --rate 10"
    "broadcast-3c|-w broadcast --node-count 5 --time-limit 20 --rate 10"
    "broadcast-3d|$bc"
    "broadcast-3e|$bc"
    "broadcast-3d-flat|$bc"
    "broadcast-3e-hub|$bc"
    "g-counter|-w g-counter --node-count 3 --rate 100 --time-limit 20"
    "kafka-5a|$kafka --node-count 1"
    "kafka-5b|$kafka --node-count 2"
    "kafka-5c|$kafka --node-count 2"
    "txn-6a|$txn --node-count 1 --consistency-models read-uncommitted"
    "txn-6b|$txn --node-count 2 --consistency-models read-uncommitted"
    "txn-6c|$txn --node-count 2 --consistency-models read-committed"
)

parts=()
for run in "${runs[@]}"; do parts+=(-p "${run%%|*}"); done
[[ "${BUILD:-1}" == 0 ]] || cargo build --release --quiet "${parts[@]}"
printf '%-18s %-6s %-5s %-5s %-5s %-7s %s\n' part fault seed hits exit valid "summary"
for run in "${runs[@]}"; do
    part="${run%%|*}"
    args="${run#*|}"
    [[ -n "$only" && "$part" != "$only"* ]] && continue
    for fault in kill pause; do
        # The first seed from 1 whose faults hit a node (a spec can name none: minority-third
        # of 3 nodes, or a minority of 1).
        for seed in 1 2 3 4 5; do
            dir="$workspace/target/faults-table/$part-$fault"
            rm -rf "$dir" && mkdir -p "$dir"
            code=0
            # shellcheck disable=SC2086 # the arguments are words on purpose
            (cd "$dir" && "$maelstrom" test --bin "$workspace/target/release/$part" $args \
                --nemesis "$fault" --seed "$seed" >stdout.txt 2>stderr.txt) || code=$?
            hits=$({ grep -o ' :killed\| :paused' "$dir/store/latest/history.txt" 2>/dev/null ||
                true; } | wc -l)
            [[ "$hits" -gt 0 ]] && break
        done
        valid=$(awk '/^ :valid\? / { v = $2; sub(/}+$/, "", v) } END { print v }' \
            "$dir/store/latest/results.edn" 2>/dev/null || true)
        summary=$(grep -m1 '^  valid?' "$dir/stdout.txt" | sed 's/^  valid? *//' || true)
        printf '%-18s %-6s %-5s %-5s %-5s %-7s %s\n' "$part" "$fault" "$seed" "$hits" "$code" \
            "${valid:-?}" "$summary"
    done
done
