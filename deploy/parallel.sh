#!/usr/bin/env bash
# Runs a detsim run or sweep as M shards with GNU parallel, on this machine
# or over ssh hosts, then merges them (docs/scale-out.md).
#
#   deploy/parallel.sh [-M SHARDS] [-j JOBS] [-S HOSTS] [-r RETRIES] OUTDIR -- run|sweep SCENARIO ARGS...
#
#   -M  shards (default: 4 per local core)      -j  shards at once per host (default: cores)
#   -S  GNU parallel --sshlogin list, e.g. "4/alice@h1,4/h2" (default: this machine only);
#       each host needs detsim on its PATH and the scenario at the same path
#   -r  retries of a shard that failed for an infrastructure reason (default 2)
#
# OUTDIR gets shard-I.jsonl per shard, joblog (GNU parallel's --joblog),
# merged.csv and merged.txt (`detsim merge`'s output). Run the same command
# again after an interruption: --resume-failed skips the shards already
# done, and a sweep shard continues its own file (--resume).
#
# A shard whose seeds failed (exit 1, 2, 3) did its job: its rows are in
# its file, and rerunning it would fail the same way, so it counts as done.
# Any other exit (64, 71, 74, a signal) is a failed job: GNU parallel
# retries it and --resume-failed reruns it. The script exits as `detsim
# merge` does: 0 if every seed passed, else the first failure's verdict;
# 64 if shards are missing.
set -euo pipefail
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }

cores=$(nproc)
shards=$((4 * cores)); jobs="$cores"; hosts=""; retries=2
while getopts "M:j:S:r:h" opt; do
  case "$opt" in
    M) shards="$OPTARG" ;; j) jobs="$OPTARG" ;; S) hosts="$OPTARG" ;; r) retries="$OPTARG" ;; *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 3 ] && [ "$2" = "--" ] || usage
outdir="$1"; shift 2
command="$1"
case "$command" in run|sweep) ;; *) echo "parallel.sh: expected run or sweep after --, got '$command'" >&2; exit 64 ;; esac
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "parallel.sh: -M $shards: expected a positive integer" >&2; exit 64; }
command -v parallel >/dev/null || { echo "parallel.sh: GNU parallel is missing (apt-get install parallel)" >&2; exit 64; }
detsim="${DETSIM:-detsim}"
mkdir -p "$outdir"

# One shard, run by GNU parallel with its index as $1. Written to a
# temporary name and renamed, so a killed run shard leaves no file that
# looks complete; a sweep shard's file is its own journal (--resume).
shard_job() {
  local index="$1" count="$2" outdir="$3" detsim="$4"; shift 4
  local file="$outdir/shard-$index.jsonl" status=0
  if [ "$1" = "sweep" ]; then
    local resume=(); [ -e "$file" ] && resume=(--resume)
    "$detsim" "$@" --shard "$index/$count" --out "$file" "${resume[@]}" >/dev/null || status=$?
  else
    "$detsim" "$@" --shard "$index/$count" > "$file.tmp" || status=$?
    [ "$status" -le 3 ] && mv "$file.tmp" "$file"
  fi
  # Seeds that failed are results, not a failed job.
  [ "$status" -le 3 ] && return 0
  return "$status"
}
export -f shard_job

ssh_args=()
[ -n "$hosts" ] && ssh_args=(--sshlogin "$hosts" --env shard_job)
status=0
seq 0 $((shards - 1)) | parallel --jobs "$jobs" --retries "$((retries + 1))" --joblog "$outdir/joblog" \
  --resume-failed --halt never "${ssh_args[@]}" \
  shard_job {} "$shards" "$(realpath "$outdir")" "$detsim" "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "parallel.sh: $status shard(s) failed for good (see $outdir/joblog); run again to retry them" >&2
fi
merge_status=0
"$detsim" merge "$outdir" --out "$outdir/merged.csv" > "$outdir/merged.txt" || merge_status=$?
cat "$outdir/merged.txt"
exit "$merge_status"
