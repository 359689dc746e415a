#!/usr/bin/env bash
# Runs broadcast-3b, 3c, 3d and 3e as the tutorial solves them, and the two
# designs beyond it, 3d-flat and 3e-hub, under the runner with their
# challenge's commands (3d and 3e once more with --nemesis partition), and
# prints one table with each tutorial part beside the design beyond it:
# whether each run was valid, servers msgs-per-op, and the median and maximum
# stable latency, judged against the challenge's targets and, for the designs
# beyond the tutorial, ours.
#
#   scripts/bench-broadcast.sh                 # every run, about 6 minutes
#   scripts/bench-broadcast.sh 3d 3e-hub       # only the runs whose label starts so
#   MAELSTROM=/path/to/maelstrom/maelstrom scripts/bench-broadcast.sh   # Jepsen's instead
#
# Not a test: the figures depend on the machine and on chance (the seed of
# each run is in its results.edn). The runs take no target options, so
# "valid" is the workload's own verdict; the targets are judged here, and
# only on runs without partitions (a partition holds values back for
# seconds by design; those runs need only be valid).
#
# Each run works in its own directory, target/bench-broadcast/<run>/, so its
# store/ cannot be confused with another run's (the runner writes store/
# under its working directory); the figures come from that
# store/latest/results.edn, which stays there for a closer look.
set -euo pipefail
cd "$(dirname "$0")/.."

workspace="$(pwd)"
maelstrom="$(realpath "${MAELSTROM:-maelstrom/maelstrom}")"

broadcast_5='-w broadcast --node-count 5 --time-limit 20 --rate 10'
broadcast_25='-w broadcast --node-count 25 --time-limit 20 --rate 100 --latency 100'

# label | design | part | runner arguments after --bin | challenge targets | our targets
# Targets are "msgs-per-op median-ms max-ms"; "-" when the run has none.
runs=(
    "3b|tutorial|broadcast-3b|$broadcast_5|-|-"
    "3c partition|tutorial|broadcast-3c|$broadcast_5 --nemesis partition|-|-"
    "3d|tutorial|broadcast-3d|$broadcast_25|30 400 600|-"
    "3d-flat|beyond|broadcast-3d-flat|$broadcast_25|30 400 600|15 120 250"
    "3d partition|tutorial|broadcast-3d|$broadcast_25 --nemesis partition|-|-"
    "3d-flat partition|beyond|broadcast-3d-flat|$broadcast_25 --nemesis partition|-|-"
    "3e|tutorial|broadcast-3e|$broadcast_25|20 1000 2000|-"
    "3e-hub|beyond|broadcast-3e-hub|$broadcast_25|20 1000 2000|2 500 800"
    "3e partition|tutorial|broadcast-3e|$broadcast_25 --nemesis partition|-|-"
    "3e-hub partition|beyond|broadcast-3e-hub|$broadcast_25 --nemesis partition|-|-"
)

# The challenge's targets are strict ("below 30"); ours are "at most 15".
# Prints "yes" if every figure meets its target, "no" otherwise, "-" if none.
judge() { # judge <strict|inclusive> "<targets>" <msgs> <median> <max>
    local mode="$1" targets="$2" msgs="$3" median="$4" max="$5"
    if [[ "$targets" == "-" ]]; then echo "-"; return; fi
    awk -v mode="$mode" -v t="$targets" -v m="$msgs" -v p50="$median" -v p100="$max" 'BEGIN {
        split(t, x, " ")
        if (m == "?" || p50 == "?" || p100 == "?") { print "no"; exit }
        if (mode == "strict") ok = (m < x[1] && p50 < x[2] && p100 < x[3])
        else ok = (m <= x[1] && p50 <= x[2] && p100 <= x[3])
        print (ok ? "yes" : "no") }'
}

# The figures of one results.edn: "<valid> <servers msgs-per-op> <median> <max>",
# "?" for any that is missing.
figures() { # figures <results.edn>
    awk '
        # Top-level keys are indented by one space; the last :valid? is the verdict.
        /^ :valid\? / { valid = $2; sub(/}+$/, "", valid) }
        # :net {:all {...}, :clients {...}, :servers {... :msgs-per-op N}}
        /:servers \{/ { in_servers = 1 }
        in_servers && /:msgs-per-op/ {
            for (i = 1; i <= NF; i++) if ($i == ":msgs-per-op") { msgs = $(i + 1); break }
            gsub(/[},]/, "", msgs); in_servers = 0
        }
        # :stable-latencies {0 0, 0.5 75, 0.95 97, 0.99 98, 1 99}, over one or more lines
        /:stable-latencies \{/ { in_lat = 1; lat = "" }
        in_lat { lat = lat " " $0; if ($0 ~ /}/) in_lat = 0 }
        END {
            sub(/.*:stable-latencies \{/, "", lat); sub(/}.*/, "", lat)
            n = split(lat, pairs, ",")
            for (i = 1; i <= n; i++) {
                split(pairs[i], kv, " ")
                if (kv[1] == "0.5") median = kv[2]
                if (kv[1] == "1") max = kv[2]
            }
            printf "%s %s %s %s\n", (valid == "" ? "?" : valid), (msgs == "" ? "?" : msgs),
                (median == "" ? "?" : median), (max == "" ? "?" : max)
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
    echo "bench-broadcast: no run matches '$*'; runs: $labels" >&2
    exit 2
fi

parts=$(printf '%s\n' "${selected[@]}" | cut -d'|' -f3 | sort -u | sed 's/^/-p /' | tr '\n' ' ')
# shellcheck disable=SC2086 # one word per -p flag and part
cargo build --quiet --release $parts

rows=()
for run in "${selected[@]}"; do
    IFS='|' read -r label design part args challenge ours <<<"$run"
    dir="$workspace/target/bench-broadcast/${label// /-}"
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
        echo "bench-broadcast: $label: no $results after the run (exit $status); its last output:" >&2
        tail -n 20 "$dir/run.out" >&2
        rows+=("$label|$design|error|?|?|?|$challenge|-|$ours|-")
        continue
    fi
    echo "   exit $status, results in $(realpath "$results")" >&2
    read -r valid msgs median max < <(figures "$results")
    challenge_ok=$(judge strict "$challenge" "$msgs" "$median" "$max")
    ours_ok=$(judge inclusive "$ours" "$msgs" "$median" "$max")
    rows+=("$label|$design|$valid|$msgs|$median|$max|$challenge|$challenge_ok|$ours|$ours_ok")
done

# Targets print as msgs-per-op/median/max: the challenge's are "below"
# ("<"), ours "at most" ("<=").
echo
format='%-18s %-9s %-6s %-12s %-7s %-6s %-17s %-4s %-14s %-4s\n'
printf "$format" "run" "design" "valid" "msgs-per-op" "median" "max" "challenge" "met" "ours" "met"
printf "$format" "" "" "" "(servers)" "(ms)" "(ms)" "(<msgs/<ms/<ms)" "" "(<=msgs/ms/ms)" ""
for row in "${rows[@]}"; do
    IFS='|' read -r label design valid msgs median max challenge challenge_ok ours ours_ok <<<"$row"
    printf "$format" "$label" "$design" "$valid" "$msgs" "$median" "$max" \
        "${challenge// //}" "$challenge_ok" "${ours// //}" "$ours_ok"
done
