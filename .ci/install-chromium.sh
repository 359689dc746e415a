#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test (maelstrom/tests/browser.rs) when it is missing,
# with fonts that have every glyph of Jepsen's verdict lines: DejaVu (box drawing ┻━┻), VL Gothic
# (kana ヽノﾉ and 益), Lohit Kannada (ಥ of the invalid verdict's (ﾉಥ益ಥ）ﾉ). The run page names the
# same fonts; the browser test measures the glyphs to check they are not missing-glyph boxes.
# CI runs as root on a fresh machine; a developer without root gets a message saying what to run.
set -euo pipefail
packages="chromium fonts-dejavu-core fonts-vlgothic fonts-lohit-knda"
missing=""
for p in $packages; do
    # Installed, not only known to dpkg (a removed package keeps its config files and status).
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q " ok installed$" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "missing for the browser test:$missing; run: sudo apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# The version from dpkg, not `chromium --version`: Debian's launcher script sources
# /etc/chromium.d/dev-shm, whose test breaks (`[: ...: unexpected operator`) where findmnt lists
# /dev/shm twice, and a reader takes that line for a failure.
dpkg-query -W -f='installed ${Package} ${Version}\n' chromium
