#!/usr/bin/env bash
# Runs txn-6a, txn-6b and txn-6c under the runner with their challenge's commands and prints
# one table: whether each run was valid, how many transactions it had, servers msgs-per-op,
# the :availability ok fraction, and the median, 99th percentile and maximum latency of the
# transactions; then how long the analysis of each run took.
#
#   scripts/bench-txn.sh              # the three runs, about 1.5 minutes
#   scripts/bench-txn.sh 6c           # only the runs whose label starts so
#   MAELSTROM=/path/to/maelstrom/maelstrom scripts/bench-txn.sh   # Jepsen's instead
#
# Not a test: the figures depend on the machine and on chance (each run's seed is in its
# results.edn). The goals judged here (ours; the challenge pages set none): valid, every
# transaction answered ok (ok fraction 1.0), and for 6b and 6c at most 0.5 messages between
# nodes per operation.
#
# Each run works in its own directory, target/bench-txn/<run>/, so its store/ cannot be
# confused with another's; the figures come from that store/latest/results.edn and the
# "Analysis took N ms" line of store/latest/jepsen.log (this runner's; Jepsen's has none).
set -euo pipefail
cd "$(dirname "$0")/.."

workspace="$(pwd)"
maelstrom="$(realpath "${MAELSTROM:-maelstrom/maelstrom}")"

txn='-w txn-rw-register --time-limit 20 --rate 1000 --concurrency 2n --availability total'

# label | part | runner arguments after --bin | msgs-per-op goal ("-": none)
runs=(
    "6a|txn-6a|$txn --node-count 1 --consistency-models read-uncommitted|-"
    "6b|txn-6b|$txn --node-count 2 --consistency-models read-uncommitted --nemesis partition|0.5"
    "6c|txn-6c|$txn --node-count 2 --consistency-models read-committed --nemesis partition|0.5"
)

# The figures of one results.edn, as printed by the runner (top-level keys indented by one
# space): "<valid> <ok txns> <servers msgs-per-op> <ok-fraction> <median> <p99> <max>", "?" for
# any that is missing.
figures() { # figures <results.edn>
    awk '
        /^ :valid\? / { valid = $2; sub(/}+$/, "", valid) }
        # :stats {:valid? true, :count N, :ok-count N, ...}: the first :ok-count is the total.
        /^ :stats / { in_stats = 1 }
        in_stats && ok == "" && /:ok-count/ {
            for (i = 1; i <= NF; i++) if ($i == ":ok-count") { ok = $(i + 1); break }
            gsub(/[},]/, "", ok); in_stats = 0
        }
        # :availability {:valid? true, :ok-fraction 1.0}
        /:ok-fraction/ {
            for (i = 1; i <= NF; i++) if ($i == ":ok-fraction") { frac = $(i + 1); break }
            gsub(/[},]/, "", frac)
        }
        # :net {... :servers {... :msgs-per-op N}}
        /:servers \{/ { in_servers = 1 }
        in_servers && /:msgs-per-op/ {
            for (i = 1; i <= NF; i++) if ($i == ":msgs-per-op") { msgs = $(i + 1); break }
            gsub(/[},]/, "", msgs); in_servers = 0
        }
        # :perf {... :latencies {:txn {0.5 1.2, 0.95 3.4, 0.99 5.6, 1 7.8}} ...}
        /:latencies \{/ { in_lat = 1; lat = "" }
        in_lat { lat = lat " " $0; if ($0 ~ /}}/) in_lat = 0 }
        END {
            sub(/.*:txn \{/, "", lat); sub(/}.*/, "", lat)
            n = split(lat, pairs, ",")
            for (i = 1; i <= n; i++) {
                split(pairs[i], kv, " ")
                if (kv[1] == "0.5") median = kv[2]
                if (kv[1] == "0.99") p99 = kv[2]
                if (kv[1] == "1") max = kv[2]
            }
            printf "%s %s %s %s %s %s %s\n", (valid == "" ? "?" : valid), (ok == "" ? "?" : ok),
                (msgs == "" ? "?" : msgs), (frac == "" ? "?" : frac), (median == "" ? "?" : median),
                (p99 == "" ? "?" : p99), (max == "" ? "?" : max)
        }' "$1"
}

# "yes" when the run met the goals: valid, ok fraction 1, msgs-per-op at most the goal.
judge() { # judge <valid> <ok-fraction> <msgs> <goal>
    awk -v v="$1" -v f="$2" -v m="$3" -v g="$4" 'BEGIN {
        ok = (v == "true" && f + 0 == 1 && (g == "-" || (m != "?" && m + 0 <= g + 0)))
        print (ok ? "yes" : "no") }'
}

selected=()
for run in "${runs[@]}"; do
    label="${run%%|*}"
    if [[ $# -eq 0 ]]; then selected+=("$run"); continue; fi
    for want in "$@"; do
        if [[ "$label" == "$want"* ]]; then selected+=("$run"); break; fi
    done
done
if [[ ${#selected[@]} -eq 0 ]]; then
    echo "bench-txn: no run matches '$*'; runs: 6a, 6b, 6c" >&2
    exit 2
fi

parts=$(printf '%s\n' "${selected[@]}" | cut -d'|' -f2 | sed 's/^/-p /' | tr '\n' ' ')
# shellcheck disable=SC2086 # one word per -p flag and part
cargo build --quiet --release $parts

rows=()
for run in "${selected[@]}"; do
    IFS='|' read -r label part args goal <<<"$run"
    dir="$workspace/target/bench-txn/$label"
    rm -rf "$dir/store"
    mkdir -p "$dir"
    echo "== $label: maelstrom/maelstrom test --bin target/release/$part $args" >&2
    status=0
    # shellcheck disable=SC2086 # the arguments are words
    (cd "$dir" && "$maelstrom" test --bin "$workspace/target/release/$part" $args) \
        >"$dir/run.out" 2>&1 || status=$?
    results="$dir/store/latest/results.edn"
    if [[ ! -f "$results" ]]; then
        echo "bench-txn: $label: no $results after the run (exit $status); its last output:" >&2
        tail -n 20 "$dir/run.out" >&2
        rows+=("$label|error|?|?|?|?|?|?|$goal|no|?")
        continue
    fi
    echo "   exit $status, results in $(realpath "$results")" >&2
    read -r valid ok msgs frac median p99 max < <(figures "$results")
    analysis=$(grep -o 'Analysis took [0-9]* ms' "$dir/store/latest/jepsen.log" 2>/dev/null \
        | grep -o '[0-9]*' || echo '?')
    met=$(judge "$valid" "$frac" "$msgs" "$goal")
    rows+=("$label|$valid|$ok|$msgs|$frac|$median|$p99|$max|$goal|$met|$analysis")
done

echo
format='%-4s %-6s %-7s %-12s %-9s %-8s %-8s %-8s %-9s %-4s %s\n'
printf "$format" run valid ok-txns msgs-per-op ok "median" "p99" "max" "goal" met analysis
printf "$format" "" "" "" "(servers)" fraction "(ms)" "(ms)" "(ms)" "(<=msgs)" "" "(ms)"
for row in "${rows[@]}"; do
    IFS='|' read -r label valid ok msgs frac median p99 max goal met analysis <<<"$row"
    printf "$format" "$label" "$valid" "$ok" "$msgs" "$frac" "$median" "$p99" "$max" "$goal" \
        "$met" "$analysis"
done
