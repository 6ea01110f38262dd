#!/usr/bin/env bash
# Guided search against plain seeds: for each planted bug, `detsim run`
# over fresh seeds and `detsim explore` get the same wall-clock budget and
# the same two worker processes, and each reports failures found, failing
# seeds, failures per CPU-minute and the time to the first failure
# (docs/bug-finding.md, "Guided search").
#
# Usage: bench/explore_vs_run.sh [--budget SECONDS] [--jobs J] [--detsim BIN] [SCENARIO:BUG...]
#   --budget S   wall-clock seconds per tool and bug (default 60)
#   --jobs J     processes for both (default 2); CPU-minutes = S * J / 60
#   --detsim BIN the binary (default build/detsim)
# Without SCENARIO:BUG pairs: the default list below.
# Prints one markdown table row per pair. Exit 0 once measured, 64 on bad arguments.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
budget=60
jobs=2
detsim="$root/build/detsim"
pairs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) budget="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --detsim) detsim="$2"; shift 2 ;;
    -*) echo "explore_vs_run.sh: unknown option $1" >&2; exit 64 ;;
    *) pairs+=("$1"); shift ;;
  esac
done
if [ ${#pairs[@]} -eq 0 ]; then
  pairs=(raft_kv:commit_previous_term raft_kv:stale_read raft_kv:no_truncate_on_conflict
         broadcast:no_retry broadcast:trust_wall_clock)
fi
[ -x "$detsim" ] || { echo "explore_vs_run.sh: no binary at $detsim" >&2; exit 64; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Plain seeds: `run` over more seeds than fit, stopped at the budget by
# timeout. Each line is stamped when it arrives, for the first failure.
plain_run() {
  local scenario="$1" bug="$2" start
  start=$(date +%s.%N)
  timeout --signal=TERM "$budget" "$detsim" run "$scenario" --seeds 1..1000000 --jobs "$jobs" --json \
      --set "bug=$bug" 2>/dev/null |
    while IFS= read -r line; do echo "$(date +%s.%N) $line"; done > "$work/run.txt" || true
  python3 - "$work/run.txt" "$start" <<'PY'
import json, sys
start = float(sys.argv[2])
seeds = fails = 0
first = None
for raw in open(sys.argv[1]):
    stamp, _, text = raw.partition(' ')
    try:
        line = json.loads(text)
    except ValueError:
        continue
    if 'seed' not in line:
        continue
    seeds += 1
    if line['verdict'] != 'pass':
        fails += 1
        if first is None:
            first = float(stamp) - start
print(seeds, fails, fails, 'never' if first is None else f'{first:.1f}')
PY
}

guided_run() {
  local scenario="$1" bug="$2"
  "$detsim" explore "$scenario" --budget "${budget}s" --jobs "$jobs" --json --set "bug=$bug" \
      > "$work/explore.txt" 2>/dev/null || true
  python3 - "$work/explore.txt" <<'PY'
import json, sys
summary = None
for text in open(sys.argv[1]):
    line = json.loads(text)
    if 'summary' in line:
        summary = line['summary']
first = summary['first_fail_s']
print(f"{summary['runs']} {summary['fail']} {summary['failing_seeds']} "
      f"{'never' if first is None else f'{first:.1f}'} {summary['branches']} {summary['plain_fail']}")
PY
}

cpu_min=$(python3 -c "print($budget * $jobs / 60)")
echo "budget ${budget}s x $jobs jobs = $cpu_min CPU-minutes per tool; $(date -u '+%Y-%m-%d %H:%M UTC'); $(git -C "$root" rev-parse --short HEAD)"
echo
echo "| scenario | bug | run: seeds | run: failing seeds | run: fails/CPU-min | run: first fail (s) | explore: runs (branches) | explore: fails (on branches) | explore: failing seeds | explore: fails/CPU-min | explore: first fail (s) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for pair in "${pairs[@]}"; do
  scenario="${pair%%:*}"
  bug="${pair#*:}"
  read -r r_seeds r_fails r_failing r_first < <(plain_run "$scenario" "$bug")
  read -r e_runs e_fails e_failing e_first e_branches e_plain < <(guided_run "$scenario" "$bug")
  r_rate=$(python3 -c "print(f'{$r_fails / $cpu_min:.1f}')")
  e_rate=$(python3 -c "print(f'{$e_fails / $cpu_min:.1f}')")
  echo "| $scenario | $bug | $r_seeds | $r_failing | $r_rate | $r_first | $e_runs ($e_branches) | $e_fails ($((e_fails - e_plain))) | $e_failing | $e_rate | $e_first |"
done
