#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real (PostgreSQL server, headless Chromium) when
# they are missing. Idempotent; does nothing when both are present. Needs root (CI runs as root).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then
  echo "system deps: chromium and postgresql present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "system deps: missing ${need[*]} and not root: install them (apt-get install ${need[*]})" >&2
    exit 1
  fi
else SUDO=""; fi
echo "system deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts a cluster on install in some images; the tests start their own throwaway servers.
if command -v pg_ctlcluster >/dev/null 2>&1; then
  for c in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do
    $SUDO pg_ctlcluster ${c/\// } stop 2>/dev/null || true
  done
fi
echo "system deps: done"
