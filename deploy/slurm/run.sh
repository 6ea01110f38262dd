#!/usr/bin/env bash
# Runs a detsim run or sweep as a Slurm job array, one shard per task, waits
# for it, and merges the shards (docs/scale-out.md).
#
# Usage: deploy/slurm/run.sh [--shards M] [--concurrent K] [--out DIR]
#          [--json] [--csv F.csv] [--sbatch ARG]... run|sweep SCENARIO [detsim options]
#   --shards M      array tasks, one shard each (default 4)
#   --concurrent K  at most K tasks at once (sbatch --array=0-(M-1)%K;
#                   default: M)
#   --out DIR       shard files and logs (default: ./detsim-slurm-JOB);
#                   it must be empty or absent, and visible from every node
#   --json          print the merge as run --json does (run only)
#   --csv F.csv     also write the merged CSV (sweep: default DIR/merged.csv)
#   --sbatch ARG    pass ARG to sbatch (e.g. --sbatch=--partition=long)
# Environment: DETSIM, the detsim binary (default: detsim on PATH, else
# this checkout's build/detsim); SLURM_CONF as for any Slurm command.
# Exit: detsim merge's status, which is the unsharded command's (0 pass;
# 1, 2, 3 the first failing seed's verdict); 64 bad input or shards
# missing; if shards are missing because tasks failed on the machine
# (71, 74), that status.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed 's/^# \{0,1\}//;$d' >&2; }

shards=4
concurrent=""
out_dir=""
merge_args=()
csv=""
sbatch_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards="$2"; shift 2 ;;
    --concurrent) concurrent="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    --json) merge_args+=(--json); shift ;;
    --csv) csv="$2"; shift 2 ;;
    --sbatch) sbatch_args+=("$2"); shift 2 ;;
    --sbatch=*) sbatch_args+=("${1#--sbatch=}"); shift ;;
    -h | --help) usage; exit 0 ;;
    run | sweep) break ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage; exit 64 ;;
  esac
done
if [ $# -lt 2 ]; then usage; exit 64; fi
command=$1
if ! [[ "$shards" =~ ^[1-9][0-9]*$ ]] || ! [[ "${concurrent:-1}" =~ ^[1-9][0-9]*$ ]]; then
  echo "run.sh: --shards and --concurrent take positive integers" >&2
  exit 64
fi

detsim=${DETSIM:-$(command -v detsim || echo "$here/../../build/detsim")}
if [ ! -x "$detsim" ]; then
  echo "run.sh: no detsim binary at '$detsim' (set DETSIM)" >&2
  exit 64
fi
detsim=$(cd "$(dirname "$detsim")" && pwd)/$(basename "$detsim")

out_dir=${out_dir:-detsim-slurm-$(date +%Y%m%d-%H%M%S)}
if [ -d "$out_dir" ] && [ -n "$(ls -A "$out_dir")" ]; then
  echo "run.sh: $out_dir is not empty: shards of another run would be merged too" >&2
  exit 64
fi
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
[ "$command" = sweep ] && csv=${csv:-$out_dir/merged.csv}
[ -n "$csv" ] && merge_args+=(--out "$csv")

array="0-$((shards - 1))${concurrent:+%$concurrent}"
started=$(date +%s.%N)
# --wait returns when every task has ended, with the highest exit status
# of the tasks; --export=ALL keeps PATH and the like for the tasks.
sbatch_status=0
sbatch --wait --quiet --array="$array" --chdir="$out_dir" \
  --export="ALL,DETSIM=$detsim" "${sbatch_args[@]}" \
  "$here/detsim-array.sbatch" "$out_dir" "$@" || sbatch_status=$?
ended=$(date +%s.%N)
echo "run.sh: array $array finished in $(awk "BEGIN { printf \"%.1f\", $ended - $started }") s" \
  "(highest task status $sbatch_status); logs in $out_dir/shard-*.log" >&2

if [ "$sbatch_status" -ne 0 ]; then
  # What detsim said on the tasks that failed (bad input, no worker...).
  grep -hv '^detsim-array: task' "$out_dir"/shard-*.log 2>/dev/null | sort -u | head -n 5 >&2 || true
fi

# The merge reads whatever the tasks wrote: a shard whose seeds failed
# (exit 1, 2, 3) is complete, and its failures are in the merge.
merge_status=0
"$detsim" merge "$out_dir" "${merge_args[@]}" || merge_status=$?
if [ "$merge_status" -eq 64 ] && { [ "$sbatch_status" -eq 71 ] || [ "$sbatch_status" -eq 74 ]; }; then
  exit "$sbatch_status"
fi
exit "$merge_status"
