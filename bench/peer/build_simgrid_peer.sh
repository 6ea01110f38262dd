#!/usr/bin/env bash
# Build simgrid_peer.cpp (next to this script) against Debian 12's libsimgrid-dev (SimGrid 3.32).
# Usage: build_simgrid_peer.sh [OUTPUT_PATH]        (default: /tmp/simgrid_peer)
# Installs libsimgrid-dev first if it is missing (needs root or sudo; waits for a held dpkg lock).
set -euo pipefail
OUT="${1:-/tmp/simgrid_peer}"
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/simgrid_peer.cpp"
[ -f "$SRC" ] || { echo "missing $SRC" >&2; exit 1; }

installed() { dpkg-query -W -f='${Status}' libsimgrid-dev 2>/dev/null | grep -q "install ok installed"; }
if ! installed; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  APT=(apt-get -o DPkg::Lock::Timeout=300 -y)
  for attempt in 1 2 3 4 5 6; do
    if $SUDO "${APT[@]}" install libsimgrid-dev; then break; fi
    [ "$attempt" -eq 1 ] && { $SUDO "${APT[@]}" update || true; continue; }
    [ "$attempt" -eq 6 ] && { echo "could not install libsimgrid-dev" >&2; exit 1; }
    echo "apt-get install failed (attempt $attempt), retrying in 20 s" >&2
    sleep 20
  done
  installed || { echo "libsimgrid-dev still not installed" >&2; exit 1; }
fi

mkdir -p "$(dirname "$OUT")"
g++ -std=c++17 -O2 -DNDEBUG -o "$OUT" "$SRC" -lsimgrid
echo "built $OUT ($(dpkg-query -W -f='libsimgrid-dev ${Version}' libsimgrid-dev))"
