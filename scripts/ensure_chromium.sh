#!/usr/bin/env bash
# Install Debian's chromium (used headless by tests/test_browser.py through Playwright) if missing.
# Idempotent: does nothing when /usr/bin/chromium exists. Needs root (CI containers) or sudo.
set -euo pipefail

CHROMIUM="${CJO_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "chromium present: $CHROMIUM"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-liberation
"$CHROMIUM" --version
