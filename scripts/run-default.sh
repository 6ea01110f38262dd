#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the default
# scenario (broadcast: 5 nodes, crashes and restarts, datagram loss) over
# seeds 1..20, one line per seed and a summary. Extra arguments go to
# `detsim run`, e.g. --seeds 1..200 or --set bug=no_retry.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
log=$(mktemp)
cmake --build --preset release >"$log" 2>&1 || { cat "$log"; exit 1; }
rm -f "$log"
exec ./build/detsim run broadcast --seeds 1..20 "$@"
