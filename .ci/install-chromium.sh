#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test (maelstrom/tests/browser.rs) when it is missing,
# with a font that has the kana of Jepsen's verdict lines (ヽ(‘ー`)ノ), so screenshots show them.
# CI runs as root on a fresh machine; a developer without root gets a message saying what to run.
set -euo pipefail
packages="chromium fonts-dejavu-core fonts-vlgothic"
missing=""
for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
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
chromium --version
