#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real (PostgreSQL server, headless Chromium) when
# they are missing. Idempotent; does nothing when they are present. Needs root (CI runs as root).
# Usage: ensure_system_deps.sh [postgresql] [chromium]   (default: both; `make demo` needs only postgresql)
set -euo pipefail
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(chromium postgresql)
need=()
for pkg in "${want[@]}"; do
  case $pkg in
    chromium) command -v chromium >/dev/null 2>&1 || need+=(chromium) ;;
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql) ;;
    *) echo "system deps: unknown package $pkg" >&2; exit 2 ;;
  esac
done
if [ ${#need[@]} -eq 0 ]; then
  echo "system deps: ${want[*]} present"
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
