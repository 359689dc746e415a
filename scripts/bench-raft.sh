#!/usr/bin/env bash
# Runs the Raft chapter's final step (raft-4-commit) and raft-5-durable on 3 and 5 nodes under
# each fault, partition, kill and pause, with the chapter's last command otherwise
# (`-w lin-kv --concurrency 4n --rate 30 --time-limit 60 --nemesis partition
# --nemesis-interval 10`), over several seeds, and prints for each run and each configuration:
# the verdict, the :availability ok-fraction, servers msgs-per-op, the median and maximum
# latency of :ok operations (ms, from history.edn: invocation to :ok, of read, write and cas)
# and how many times a node became leader (from the node logs).
#
# With RUBY_RAFT=<dir holding Maelstrom's demo/ruby/raft.rb, node.rb, errors.rb, promise.rb>
# and PY_RAFT=<dir holding demo/python/raft.py> it runs Maelstrom's own Ruby and Python nodes
# under the same commands and seeds, in the same run, for comparison (the demos stay out of
# this repository: copy them from a Maelstrom checkout into a temporary directory; raft.py runs
# with python3).
#
#   scripts/bench-raft.sh                          # 10 seeds of 60 s per configuration: long
#   SEEDS="1 2 3" TIME_LIMIT=20 scripts/bench-raft.sh          # shorter
#   RUBY_RAFT=/tmp/rubyraft PY_RAFT=/tmp/pyraft scripts/bench-raft.sh kill   # labels starting with kill
#   PARALLEL=2 scripts/bench-raft.sh              # runs at once (default 3)
#   KILL_INTERVAL=10 scripts/bench-raft.sh kill   # --nemesis-interval for kill (default 1)
#
# Kill runs use `--nemesis-interval 1` (KILL_INTERVAL), not the chapter's 10: the in-memory
# step loses acknowledged writes only when a majority that includes the leader is killed and
# started again empty, elects a leader among itself, and the survivor's older log or map later
# comes back; a few kills a minute rarely line that up (see raft-5-durable's header).
#
# Not a test: the figures depend on the machine, its load and chance. Each run works in its own
# directory, target/bench-raft/<label>-s<seed>/, whose store/ stays there for a closer look.
set -euo pipefail
cd "$(dirname "$0")/.."

workspace="$(pwd)"
maelstrom="$(realpath "${MAELSTROM:-maelstrom/maelstrom}")"
seeds="${SEEDS:-1 2 3 4 5 6 7 8 9 10}"
time_limit="${TIME_LIMIT:-60}"
parallel="${PARALLEL:-3}"
kill_interval="${KILL_INTERVAL:-1}"
filter="${1:-}"

# fault | --nemesis-interval
faults=("partition|10" "kill|$kill_interval" "pause|10")

# name | binary
impls=(
    "raft-4-commit|$workspace/target/release/raft-4-commit"
    "raft-5-durable|$workspace/target/release/raft-5-durable"
)
if [[ -n "${RUBY_RAFT:-}" ]]; then
    ruby_bin="$(realpath "$RUBY_RAFT")/raft.rb"
    [[ -x "$ruby_bin" ]] || { echo "bench-raft: $ruby_bin is not an executable file" >&2; exit 2; }
    impls+=("raft.rb|$ruby_bin")
fi
if [[ -n "${PY_RAFT:-}" ]]; then
    py_file="$(realpath "$PY_RAFT")/raft.py"
    [[ -f "$py_file" ]] || { echo "bench-raft: $py_file is not a file" >&2; exit 2; }
    # raft.py starts with `#!/usr/bin/env python`, which Debian does not have: run it with python3.
    mkdir -p target/bench-raft
    py_bin="$workspace/target/bench-raft/raft.py.sh"
    printf '#!/bin/sh\nexec python3 %q "$@"\n' "$py_file" > "$py_bin"
    chmod +x "$py_bin"
    impls+=("raft.py|$py_bin")
fi

# label | binary | runner arguments after --bin
runs=()
for fault in "${faults[@]}"; do
    IFS='|' read -r name interval <<<"$fault"
    for nodes in 3 5; do
        for impl in "${impls[@]}"; do
            IFS='|' read -r impl_name bin <<<"$impl"
            args="-w lin-kv --node-count $nodes --concurrency 4n --rate 30 --time-limit $time_limit"
            runs+=("$name-n$nodes-$impl_name|$bin|$args --nemesis $name --nemesis-interval $interval")
        done
    done
done

# One package at a time: built together, they would unify features and rebuild the runner.
cargo build --release -q -p raft-4-commit
cargo build --release -q -p raft-5-durable

# "<valid> <ok-fraction> <servers msgs-per-op>" of one results.edn, "?" for any that is missing.
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
        END {
            printf "%s %s %s\n", (valid == "" ? "?" : valid), (ok == "" ? "?" : ok),
                (msgs == "" ? "?" : msgs)
        }' "$1"
}

# "<median ms> <max ms>" of the :ok client operations of one history.edn (invocation to :ok,
# per process), "? ?" if none.
ok_latencies() { # ok_latencies <history.edn>
    sed -E -n 's/.*:time ([0-9]+), :type :([a-z]+), :process ([0-9]+),.*/\1 \2 \3/p' "$1" |
        awk '$2 == "invoke" { start[$3] = $1; next }
             ($3 in start) { if ($2 == "ok") printf "%.1f\n", ($1 - start[$3]) / 1e6; delete start[$3] }' |
        sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "? ?"; else print v[int((NR + 1) / 2)], v[NR] }'
}

# One run: its directory, then its figures and elections on one line.
run_one() { # run_one <label> <bin> <args> <seed>
    local dir="$workspace/target/bench-raft/$1-s$4"
    rm -rf "$dir" && mkdir -p "$dir"
    # shellcheck disable=SC2086 # the arguments are words
    (cd "$dir" && "$maelstrom" test --bin "$2" $3 --seed "$4" > out.txt 2>&1) || true
    local store="$dir/store/latest"
    if [[ ! -f "$store/results.edn" ]]; then
        echo "$1 $4 ? ? ? ? ? ?"
        return
    fi
    local elections
    elections="$(cat "$store"/node-logs/*.log 2>/dev/null | grep -ci 'became leader' || true)"
    echo "$1 $4 $(figures "$store/results.edn") $(ok_latencies "$store/history.edn") $elections"
}

lines="$(mktemp)"
trap 'rm -f "$lines"' EXIT
# Seed by seed, and within a seed one configuration's nodes side by side, so that the nodes
# compared share the machine's load (the runs of one seed start close together).
for seed in $seeds; do
    for entry in "${runs[@]}"; do
        IFS='|' read -r label bin args <<<"$entry"
        [[ -z "$filter" || "$label" == "$filter"* ]] || continue
        run_one "$label" "$bin" "$args" "$seed" >> "$lines" &
        while [[ "$(jobs -rp | wc -l)" -ge "$parallel" ]]; do sleep 1; done
    done
done
wait

printf '%-28s %5s %7s %8s %9s %10s %8s %9s\n' label seed valid? ok-frac msgs/op median-ms max-ms elections
sort -k1,1 -k2,2n "$lines" | while read -r label seed valid ok msgs median max elections; do
    printf '%-28s %5s %7s %8s %9s %10s %8s %9s\n' "$label" "$seed" "$valid" "$ok" "$msgs" "$median" "$max" "$elections"
done
echo
echo "Per configuration: valid runs, mean ok-fraction, mean msgs-per-op, median of the runs' medians, highest max (ms, :ok ops)"
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
        printf "%-28s %2d/%-2d valid  ok-fraction %.3f  msgs-per-op %.2f  median %6.1f ms  max %7.1f ms\n",
            label, valid, count, ok / count, msgs / count, medians[m], max
        delete medians
    }
    $1 != label { flush(); label = $1; count = 0; valid = 0; ok = 0; msgs = 0; max = 0 }
    {
        count++; if ($3 == "true") valid++
        ok += $4; msgs += $5; medians[count] = $6; if ($7 + 0 > max) max = $7 + 0
    }
    END { flush() }'
