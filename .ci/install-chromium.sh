#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test (maelstrom/tests/browser.rs) when it is missing.
# CI runs as root on a fresh machine; a developer without root gets a message saying what to run.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "chromium is missing: run 'sudo apt-get install -y chromium' (the browser test needs it)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version
