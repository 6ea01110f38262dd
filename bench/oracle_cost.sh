#!/usr/bin/env bash
# Per-seed cost of the invariant checks in each model's stock scenario
# (docs/bug-finding.md, "What the oracles cost"): how much of a seed's CPU
# time is spent in the model's observer (the moment-of-truth oracles and
# the continuous Figure 3 checks, with their bookkeeping) and in the end
# checks (linearizability for raft_kv, the state comparisons for the
# others). Measured with perf's sampling profiler on one worker process:
# a sample counts as "oracle" when any frame of its call stack is an
# observer method or a check function, so nested calls count once.
#
# Usage: bench/oracle_cost.sh [--seeds N] [--build DIR] [SCENARIO...]
#   --seeds N    seeds 1..N per scenario (default 60)
#   --build DIR  the build holding detsim (default: build)
#   SCENARIO     default: raft_kv broadcast edge_replication
# Needs perf (linux-perf) and /usr/bin/python3. Exit 64 on bad arguments.
set -euo pipefail

usage_error() {
  echo "oracle_cost.sh: $1 (usage: bench/oracle_cost.sh [--seeds N] [--build DIR] [SCENARIO...])" >&2
  exit 64
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seeds=60
build="$root/build"
scenarios=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) [ $# -ge 2 ] || usage_error "--seeds needs a value"; seeds="$2"; shift 2 ;;
    --build) [ $# -ge 2 ] || usage_error "--build needs a value"; build="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) usage_error "unknown option $1" ;;
    *) scenarios+=("$1"); shift ;;
  esac
done
[[ "$seeds" =~ ^[1-9][0-9]*$ ]] || usage_error "--seeds must be a positive integer, got '$seeds'"
[ -x "$build/detsim" ] || usage_error "no detsim binary in $build"
command -v perf >/dev/null || usage_error "perf is not installed (apt-get install linux-perf)"
[ ${#scenarios[@]} -gt 0 ] || scenarios=(raft_kv broadcast edge_replication)

frequency=2000  # samples per CPU-second
scratch="$(mktemp -d "${TMPDIR:-/tmp}/detsim-oracle-cost.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

echo "Oracle cost, $(date -u +%Y-%m-%d), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), seeds 1..$seeds, one worker."
echo
echo "| scenario | CPU per seed | samples | observer and oracles | end checks | checks per seed |"
echo "|---|---:|---:|---:|---:|---:|"
for scenario in "${scenarios[@]}"; do
  data="$scratch/$scenario.perf"
  perf record -q --call-graph dwarf,16384 -F "$frequency" -o "$data" \
    "$build/detsim" run "$scenario" --seeds "1..$seeds" --jobs 1 >/dev/null 2>"$scratch/record.log" ||
    true  # a failing seed still profiles
  perf script -i "$data" -F ip,sym 2>/dev/null | /usr/bin/python3 -c '
import re, sys
# An observer method, or a model check function, or the history checker.
observer = re.compile(r"::(raft_kv|broadcast|edge|queue)::(Observer|Attachment)::")
end_check = re.compile(r"(::(raft_kv|broadcast|edge|queue)::check_)|(detsim::check::)")
samples = in_observer = in_end = 0
stack = []
def flush():
    global samples, in_observer, in_end
    if not stack: return
    samples += 1
    text = "\n".join(stack)
    if end_check.search(text): in_end += 1
    elif observer.search(text): in_observer += 1
for line in sys.stdin:
    line = line.strip()
    if not line:
        flush(); stack.clear(); continue
    stack.append(line)
flush()
hz, seeds, name = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
per_seed_ms = 1000 * samples / hz / seeds  # CPU time: one sample per 1/hz s on CPU
share_obs = in_observer / max(samples, 1)
share_end = in_end / max(samples, 1)
print(f"| {name} | {per_seed_ms:.1f} ms | {samples} | {100*share_obs:.1f}% | {100*share_end:.1f}% | "
      f"{per_seed_ms*(share_obs+share_end):.2f} ms |")
' "$frequency" "$seeds" "$scenario"
done
echo
echo "CPU per seed is samples / ${frequency} Hz / seeds; checks per seed is that times both shares."
