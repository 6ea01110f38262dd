#!/usr/bin/env bash
# Where two builds of detsim (two commits, compilers or machines) part on
# one seed: binary A replays it writing a trace, binary B replays it
# comparing its own trace with that one, and prints the first event that
# differs with 3 events on each side (docs/bug-finding.md, Part 4).
# Usage: scripts/compare-builds.sh DETSIM_A DETSIM_B SCENARIO SEED [replay options...]
# Exit: 0 the same, 1 they differ, 64 bad input (from either binary).
set -euo pipefail
if [ "$#" -lt 4 ]; then
  echo "usage: $0 DETSIM_A DETSIM_B SCENARIO SEED [replay options...]" >&2
  exit 64
fi
a="$1" b="$2" scenario="$3" seed="$4"
shift 4
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
"$a" replay "$scenario" --seed "$seed" "$@" --trace "$work/a.jsonl" >"$work/a.out" || status=$?
# A failing seed's verdict (1..3) is not an error here; bad input is.
if [ "$status" -ge 64 ]; then
  cat "$work/a.out"
  exit "$status"
fi
exec "$b" replay "$scenario" --seed "$seed" "$@" --compare "$work/a.jsonl"
