#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the default
# scenario (raft_kv: a 5-node Raft key-value store under swarm faults, its
# client history checked for linearizability) over seeds 1..20, one line
# per seed and a summary. Extra arguments go to `detsim run`, e.g.
# --seeds 1..200 --jobs 2 or --set bug=stale_read.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
log=$(mktemp)
cmake --build --preset release >"$log" 2>&1 || { cat "$log"; exit 1; }
rm -f "$log"
exec ./build/detsim run raft_kv --seeds 1..20 "$@"
