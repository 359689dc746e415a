#!/usr/bin/env bash
# Runs kafka-5b (logs in lin-kv) and kafka-5c (each key's log in its owner's
# memory) under the runner with challenge 5b/5c's command, one after the
# other, and prints them side by side: whether each run was valid, how many
# client operations it made, servers msgs-per-op (messages between nodes and
# to or from lin-kv, per operation), the :availability ok-fraction, the
# median and maximum latency of sends and polls, and how long the runner's
# analysis took. 5c's goals: valid, at most 2 msgs-per-op, ok-fraction at
# least 0.999.
#
#   scripts/bench-kafka.sh              # both, about 1 minute each
#   scripts/bench-kafka.sh 5c           # only the runs whose label starts so
#   MAELSTROM=/path/to/maelstrom/maelstrom scripts/bench-kafka.sh   # Jepsen's instead
#
# Not a test: the figures depend on the machine and on chance (the seed of
# each run is in its results.edn). Each run works in its own directory,
# target/bench-kafka/<run>/, so its store/ cannot be confused with another
# run's; the figures come from that store/latest/results.edn (and the
# analysis time from jepsen.log, where this runner logs it), which stay
# there for a closer look.
set -euo pipefail
cd "$(dirname "$0")/.."

workspace="$(pwd)"
maelstrom="$(realpath "${MAELSTROM:-maelstrom/maelstrom}")"

# The challenge's command for 5b and 5c (5c adds no options of its own).
kafka_2='-w kafka --node-count 2 --concurrency 2n --time-limit 20 --rate 1000'

# label | part | runner arguments after --bin
runs=(
    "5b|kafka-5b|$kafka_2"
    "5c|kafka-5c|$kafka_2"
)

# The figures of one results.edn: "<valid> <ops> <servers msgs-per-op>
# <ok-fraction> <send median> <send max> <poll median> <poll max>", "?" for
# any that is missing.
figures() { # figures <results.edn>
    awk '
        # Top-level keys are indented by one space; the last :valid? is the verdict.
        /^ :valid\? / { valid = $2; sub(/}+$/, "", valid) }
        # :stats {:valid? true,\n :count N, ...}: the first :count after it is all ops.
        /^ :stats / { in_stats = 1 }
        in_stats && /:count/ {
            for (i = 1; i <= NF; i++) if ($i == ":count") { ops = $(i + 1); break }
            gsub(/[},]/, "", ops); in_stats = 0
        }
        # :net {... :servers {... :msgs-per-op N}}
        /:servers \{/ { in_servers = 1 }
        in_servers && /:msgs-per-op/ {
            for (i = 1; i <= NF; i++) if ($i == ":msgs-per-op") { msgs = $(i + 1); break }
            gsub(/[},]/, "", msgs); in_servers = 0
        }
        /:ok-fraction/ {
            for (i = 1; i <= NF; i++) if ($i == ":ok-fraction") { ok = $(i + 1); break }
            gsub(/[},]/, "", ok)
        }
        # :latencies {:poll {0.5 1, 0.95 3, 0.99 5, 1 40}, :send {...}}, one f a line or more
        /:latencies \{/ { in_lat = 1 }
        in_lat { lat = lat " " $0; if ($0 ~ /}}/) in_lat = 0 }
        END {
            n = split(lat, parts, ":")
            for (i = 1; i <= n; i++) {
                f = parts[i]; sub(/ .*/, "", f)
                if (f != "send" && f != "poll") continue
                body = parts[i]; sub(/^[a-z]+ *\{/, "", body); sub(/}.*/, "", body)
                m = split(body, pairs, ",")
                for (j = 1; j <= m; j++) {
                    split(pairs[j], kv, " ")
                    if (kv[1] == "0.5") median[f] = kv[2]
                    if (kv[1] == "1") max[f] = kv[2]
                }
            }
            printf "%s %s %s %s %s %s %s %s\n", (valid == "" ? "?" : valid),
                (ops == "" ? "?" : ops), (msgs == "" ? "?" : msgs), (ok == "" ? "?" : ok),
                ("send" in median ? median["send"] : "?"), ("send" in max ? max["send"] : "?"),
                ("poll" in median ? median["poll"] : "?"), ("poll" in max ? max["poll"] : "?")
        }' "$1"
}

# Which runs: all, or those whose label starts with one of the arguments.
selected=()
for run in "${runs[@]}"; do
    label="${run%%|*}"
    if [[ $# -eq 0 ]]; then selected+=("$run"); continue; fi
    for want in "$@"; do
        if [[ "$label" == "$want"* ]]; then selected+=("$run"); break; fi
    done
done
if [[ ${#selected[@]} -eq 0 ]]; then
    labels=$(printf '%s\n' "${runs[@]}" | cut -d'|' -f1 | paste -sd, - | sed 's/,/, /g')
    echo "bench-kafka: no run matches '$*'; runs: $labels" >&2
    exit 2
fi

parts=$(printf '%s\n' "${selected[@]}" | cut -d'|' -f2 | sort -u | sed 's/^/-p /' | tr '\n' ' ')
# shellcheck disable=SC2086 # one word per -p flag and part
cargo build --quiet --release $parts

rows=()
for run in "${selected[@]}"; do
    IFS='|' read -r label part args <<<"$run"
    dir="$workspace/target/bench-kafka/$label"
    rm -rf "$dir/store"
    mkdir -p "$dir"
    echo "== $label: maelstrom/maelstrom test --bin target/release/$part $args" >&2
    # A failing run (invalid, or the runner's own error) still gets its row.
    status=0
    # shellcheck disable=SC2086 # the arguments are words
    (cd "$dir" && "$maelstrom" test --bin "$workspace/target/release/$part" $args) \
        >"$dir/run.out" 2>&1 || status=$?
    results="$dir/store/latest/results.edn"
    if [[ ! -f "$results" ]]; then
        echo "bench-kafka: $label: no $results after the run (exit $status); its last output:" >&2
        tail -n 20 "$dir/run.out" >&2
        rows+=("$label|$part|error|?|?|?|?|?|?|?|?")
        continue
    fi
    echo "   exit $status, results in $(realpath "$results")" >&2
    read -r valid ops msgs ok send_p50 send_max poll_p50 poll_max < <(figures "$results")
    # "Analysis took N ms (M history entries)", logged by this runner only.
    analysis=$(sed -n 's/.*Analysis took \([0-9]*\) ms.*/\1/p' "$dir/store/latest/jepsen.log" 2>/dev/null | tail -n 1)
    rows+=("$label|$part|$valid|$ops|$msgs|$ok|$send_p50|$send_max|$poll_p50|$poll_max|${analysis:-?}")
done

echo
format='%-4s %-9s %-6s %-7s %-12s %-12s %-11s %-11s %-11s %-11s %-9s\n'
printf "$format" "run" "part" "valid" "ops" "msgs-per-op" "ok-fraction" "send p50" "send max" "poll p50" "poll max" "analysis"
printf "$format" "" "" "" "" "(servers)" "" "(ms)" "(ms)" "(ms)" "(ms)" "(ms)"
for row in "${rows[@]}"; do
    IFS='|' read -r label part valid ops msgs ok send_p50 send_max poll_p50 poll_max analysis <<<"$row"
    printf "$format" "$label" "$part" "$valid" "$ops" "$msgs" "$ok" "$send_p50" "$send_max" \
        "$poll_p50" "$poll_max" "$analysis"
done
