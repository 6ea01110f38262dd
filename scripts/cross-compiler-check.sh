#!/usr/bin/env bash
# Determinism across compilers: the same seed must give the same run, bit
# for bit, whichever compiler built detsim. Runs every scenario that
# `detsim list` shows with both binaries and compares each seed's JSON line
# (verdict, events, fingerprint, metrics), less the wall-clock fields and
# the reproduce line (it names the binary as invoked).
# 20 seeds a scenario, 3 for the capacity run (5M rows/s, seconds a seed).
# Usage: scripts/cross-compiler-check.sh DETSIM_A DETSIM_B
#   e.g. scripts/cross-compiler-check.sh build/detsim build-clang/detsim
# Exits 1 and shows the first differing lines if any seed differs.
set -euo pipefail
[ $# -eq 2 ] || { sed -n '7,8p' "$0" >&2; exit 64; }
a="$1"; b="$2"
for bin in "$a" "$b"; do [ -x "$bin" ] || { echo "cross-compiler-check: $bin is not an executable" >&2; exit 64; }; done
# The capacity runs push millions of rows or requests per second: three
# seeds say as much as twenty.
heavy=" edge_replication_capacity noisy_neighbours_capacity "
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A run's JSON lines without the fields that measure the host, not the run.
runs() {  # BINARY SCENARIO SEEDS
  "$1" run "$2" --seeds "$3" --json --jobs 2 | sed -E 's/"wall_s":[-0-9.e+]+,?//g; s/"reproduce":"([^"\\]|\\.)*",?//g'
}

scenarios="$("$a" list | sed -n '/^scenarios/,/^$/p' | awk 'NR > 1 && NF > 0 { print $1 }')"
[ -n "$scenarios" ] || { echo "cross-compiler-check: $a list shows no scenario" >&2; exit 1; }
bad=0
for scenario in $scenarios; do
  seeds="1..20"
  [[ "$heavy" == *" $scenario "* ]] && seeds="1..3"
  runs "$a" "$scenario" "$seeds" > "$work/a" || true
  runs "$b" "$scenario" "$seeds" > "$work/b" || true
  lines="$(grep -c '"seed"' "$work/a" || true)"
  if [ "$lines" -eq 0 ]; then
    echo "cross-compiler-check: $scenario: no runs from $a"; bad=1; continue
  fi
  if cmp -s "$work/a" "$work/b"; then
    echo "cross-compiler-check: $scenario seeds $seeds: $lines runs identical"
  else
    echo "cross-compiler-check: $scenario seeds $seeds DIFFER between $a and $b:"
    diff "$work/a" "$work/b" | head -6 | cut -c1-300
    bad=1
  fi
done
exit "$bad"
