#!/usr/bin/env bash
# The run page's figures for one run folder (default: store/latest, e.g. after
# `make run MODULE=broadcast-3d`): the size of each file it loads, the time the runner spent
# drawing each view (results.edn's :views :ms-each), and, in headless Chromium opening
# index.html from file:// (no server), three times: the first paint (ms since the page was
# requested), the layout of all rows and the first frame.
#
#   scripts/bench-run-page.sh [run-folder]
set -euo pipefail
run="$(readlink -f "${1:-store/latest}")"
[[ -f "$run/index.html" ]] || { echo "no index.html in $run (run a test first)" >&2; exit 2; }
command -v chromium >/dev/null || { echo "chromium is missing: .ci/install-chromium.sh" >&2; exit 2; }
echo "run: $run"
echo "journal events: $(wc -l < "$run/journal.jsonl" 2>/dev/null || echo '?')"
for f in index.html run-data.js run-bodies.js; do
    printf '  %-14s %10d bytes\n' "$f" "$(stat -c %s "$run/$f")"
done
echo "drawing (ms): $(tr -s ' \n' ' ' < "$run/results.edn" | grep -o ':ms [0-9]*, :ms-each {[^}]*}' || echo '?')"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
for i in 1 2 3; do
    rm -rf "$profile"/*
    dom="$(chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --user-data-dir="$profile" \
        --dump-dom "file://$run/index.html" 2>/dev/null)"
    get() { grep -o "data-$1=\"[0-9]*\"" <<<"$dom" | grep -o '[0-9]*' || echo '?'; }
    echo "chromium $i: first paint $(get first-paint-ms) ms (layout $(get layout-ms) ms, first frame $(get draw-ms) ms)"
done
