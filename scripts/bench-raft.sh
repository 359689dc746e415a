#!/usr/bin/env bash
# Runs the Raft chapter's final step (raft-4-commit) under the chapter's last command
# (`-w lin-kv --concurrency 4n --rate 30 --time-limit 60 --nemesis partition
# --nemesis-interval 10`) on 3 and 5 nodes, and raft-5-durable with `--nemesis kill,partition`
# and `--nemesis pause` instead, over several seeds, and prints for each run and
# each configuration: the verdict, the :availability ok-fraction, servers msgs-per-op, the
# median and maximum latency of :ok operations (ms, from :perf :latencies, all of read, write
# and cas) and how many times a node became leader (from the node logs).
#
# With RUBY_RAFT=<dir holding Maelstrom's demo/ruby/raft.rb, node.rb, errors.rb, promise.rb>
# it runs Maelstrom's own Ruby node under the same commands and seeds, for comparison (the demo
# stays out of this repository: copy it from a Maelstrom checkout into a temporary directory).
#
#   scripts/bench-raft.sh                          # 10 seeds of 60 s per configuration: long
#   SEEDS="1 2 3" TIME_LIMIT=30 scripts/bench-raft.sh          # shorter
#   RUBY_RAFT=/tmp/rubyraft scripts/bench-raft.sh n3   # only the labels starting with n3
#   PARALLEL=2 scripts/bench-raft.sh              # runs at once (default 3)
#
# Not a test: the figures depend on the machine and on chance. Each run works in its own
# directory, target/bench-raft/<label>-s<seed>/, whose store/ stays there for a closer look.
set -euo pipefail
cd "$(dirname "$0")/.."

workspace="$(pwd)"
maelstrom="$(realpath "${MAELSTROM:-maelstrom/maelstrom}")"
seeds="${SEEDS:-1 2 3 4 5 6 7 8 9 10}"
time_limit="${TIME_LIMIT:-60}"
parallel="${PARALLEL:-3}"
filter="${1:-}"

chapter="-w lin-kv --concurrency 4n --rate 30 --time-limit $time_limit --nemesis partition --nemesis-interval 10"

# label | binary | runner arguments after --bin
runs=(
    "n3-raft-4-commit|$workspace/target/release/raft-4-commit|--node-count 3 $chapter"
    "n5-raft-4-commit|$workspace/target/release/raft-4-commit|--node-count 5 $chapter"
    "n3-raft-5-durable-kill|$workspace/target/release/raft-5-durable|--node-count 3 ${chapter/partition/kill,partition}"
    "n5-raft-5-durable-kill|$workspace/target/release/raft-5-durable|--node-count 5 ${chapter/partition/kill,partition}"
    "n3-raft-5-durable-pause|$workspace/target/release/raft-5-durable|--node-count 3 ${chapter/partition/pause}"
)
if [[ -n "${RUBY_RAFT:-}" ]]; then
    ruby_bin="$(realpath "$RUBY_RAFT")/raft.rb"
    [[ -x "$ruby_bin" ]] || { echo "bench-raft: $ruby_bin is not an executable file" >&2; exit 2; }
    runs+=(
        "n3-ruby-raft.rb|$ruby_bin|--node-count 3 $chapter"
        "n5-ruby-raft.rb|$ruby_bin|--node-count 5 $chapter"
    )
fi

# One package at a time: built together, they would unify features and rebuild the runner.
cargo build --release -q -p raft-4-commit
cargo build --release -q -p raft-5-durable

# "<valid> <ok-fraction> <servers msgs-per-op> <median ms> <max ms>" of one results.edn, "?"
# for any that is missing. The median is the highest of the three operations' medians.
figures() { # figures <results.edn>
    awk '
        /^ :valid\? / { valid = $2; sub(/}+$/, "", valid) }
        /:ok-fraction/ {
            for (i = 1; i <= NF; i++) if ($i == ":ok-fraction") { ok = $(i + 1); break }
            gsub(/[},]/, "", ok)
        }
        /:servers \{/ { in_servers = 1 }
        in_servers && /:msgs-per-op/ {
            for (i = 1; i <= NF; i++) if ($i == ":msgs-per-op") { msgs = $(i + 1); break }
            gsub(/[},]/, "", msgs); in_servers = 0
        }
        # :latencies {:cas {0.5 9.5, 0.95 99.3, 0.99 1000.2, 1 1004.0}, :read {...}, ...}
        /:latencies \{/ { in_lat = 1 }
        in_lat { lat = lat " " $0; if ($0 ~ /}}/) in_lat = 0 }
        END {
            gsub(/[{},:a-z]/, " ", lat)
            n = split(lat, words, " ")
            median = -1; max = -1
            for (i = 1; i < n; i++) {
                if (words[i] == "0.5" && words[i + 1] + 0 > median) median = words[i + 1] + 0
                if (words[i] == "1" && words[i + 1] + 0 > max) max = words[i + 1] + 0
            }
            printf "%s %s %s %s %s\n", (valid == "" ? "?" : valid), (ok == "" ? "?" : ok),
                (msgs == "" ? "?" : msgs), (median < 0 ? "?" : median), (max < 0 ? "?" : max)
        }' "$1"
}

# One run: its directory, then its figures and elections on one line.
run_one() { # run_one <label> <bin> <args> <seed>
    local dir="$workspace/target/bench-raft/$1-s$4"
    rm -rf "$dir" && mkdir -p "$dir"
    # shellcheck disable=SC2086 # the arguments are words
    (cd "$dir" && "$maelstrom" test --bin "$2" $3 --seed "$4" > out.txt 2>&1) || true
    local results="$dir/store/latest/results.edn"
    if [[ ! -f "$results" ]]; then
        echo "$1 $4 ? ? ? ? ? ?"
        return
    fi
    local elections
    elections="$(cat "$dir"/store/latest/node-logs/*.log 2>/dev/null | grep -ci 'became leader' || true)"
    echo "$1 $4 $(figures "$results") $elections"
}

lines="$(mktemp)"
trap 'rm -f "$lines"' EXIT
for entry in "${runs[@]}"; do
    IFS='|' read -r label bin args <<<"$entry"
    [[ -z "$filter" || "$label" == "$filter"* ]] || continue
    for seed in $seeds; do
        run_one "$label" "$bin" "$args" "$seed" >> "$lines" &
        while [[ "$(jobs -rp | wc -l)" -ge "$parallel" ]]; do sleep 1; done
    done
done
wait

printf '%-24s %5s %7s %8s %9s %10s %8s %9s\n' label seed valid? ok-frac msgs/op median-ms max-ms elections
sort -k1,1 -k2,2n "$lines" | while read -r label seed valid ok msgs median max elections; do
    printf '%-24s %5s %7s %8s %9s %10s %8s %9s\n' "$label" "$seed" "$valid" "$ok" "$msgs" "$median" "$max" "$elections"
done
echo
echo "Per configuration: valid runs, mean ok-fraction, mean msgs-per-op, median of the runs' medians, highest max"
sort -k1,1 "$lines" | awk '
    function flush() {
        if (label == "") return
        # Sorted by insertion (mawk has no asort).
        for (i = 2; i <= count; i++) {
            v = medians[i]
            for (j = i - 1; j >= 1 && medians[j] + 0 > v + 0; j--) medians[j + 1] = medians[j]
            medians[j + 1] = v
        }
        m = int((count + 1) / 2)
        printf "%-24s %d/%d valid  ok-fraction %.3f  msgs-per-op %.2f  median %.1f ms  max %.1f ms\n",
            label, valid, count, ok / count, msgs / count, medians[m], max
        delete medians
    }
    $1 != label { flush(); label = $1; count = 0; valid = 0; ok = 0; msgs = 0; max = 0 }
    {
        count++; if ($3 == "true") valid++
        ok += $4; msgs += $5; medians[count] = $6; if ($7 + 0 > max) max = $7 + 0
    }
    END { flush() }'
