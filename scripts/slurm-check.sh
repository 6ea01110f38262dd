#!/usr/bin/env bash
# CI check of the Slurm recipe (deploy/slurm/, docs/scale-out.md): starts a
# throwaway single-node Slurm cluster, runs detsim as job arrays through
# deploy/slurm/run.sh, and checks that each merge equals the unsharded
# command's output, wall times aside:
#   1. run broadcast --seeds 1..40 over 4 tasks, 2 at a time (all pass: 0);
#   2. the same with --set bug=no_retry (seeds fail: merge and run exit 1);
#   3. sweep broadcast --grid rate=20,80 --seeds 1..10 over 3 tasks (CSV);
#   4. run 1 as 2 tasks whose first attempt exits 74 (a machine fault):
#      each task retries and the merge is still equal.
# Needs Debian 12's slurm-wlm and munge, and a built detsim.
# Usage: scripts/slurm-check.sh [BUILD_DIR]   (default: build)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
export DETSIM
DETSIM=$(cd "$build" && pwd)/detsim
if [ ! -x "$DETSIM" ]; then
  echo "slurm-check: no $DETSIM; build first" >&2
  exit 1
fi
# The job arrays, run inside the cluster: local-cluster.sh runs this script
# again with SLURM_CHECK_INSIDE=WORK.
inside() {
  local work=$1 status
  set -x
  status=0
  "$repo/deploy/slurm/run.sh" --shards 4 --concurrent 2 --out "$work/pass" --json \
    run broadcast --seeds 1..40 >"$work/merged-pass.json" || status=$?
  echo "$status" >"$work/status-pass"
  status=0
  "$repo/deploy/slurm/run.sh" --shards 4 --concurrent 2 --out "$work/bug" --json \
    run broadcast --seeds 1..40 --set bug=no_retry >"$work/merged-bug.json" || status=$?
  echo "$status" >"$work/status-bug"
  status=0
  "$repo/deploy/slurm/run.sh" --shards 3 --out "$work/sweep" --csv "$work/merged.csv" \
    sweep broadcast --grid rate=20,80 --seeds 1..10 >/dev/null || status=$?
  echo "$status" >"$work/status-sweep"
  status=0
  DETSIM=$work/flaky-detsim DETSIM_RETRY_DELAY=1 "$repo/deploy/slurm/run.sh" --shards 2 --out "$work/retry" --json \
    run broadcast --seeds 1..40 >"$work/merged-retry.json" || status=$?
  echo "$status" >"$work/status-retry"
}
if [ -n "${SLURM_CHECK_INSIDE:-}" ]; then
  inside "$SLURM_CHECK_INSIDE"
  exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "slurm-check: Slurm is not installed: apt-get install -y slurm-wlm munge" >&2
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/slurm-check.XXXXXX")
# Kept when the check fails, for its shard logs.
trap '[ "${failed:-1}" -eq 0 ] && rm -rf "$work"' EXIT

# detsim, except that each array task's first call exits 74.
cat >"$work/flaky-detsim" <<FLAKY
#!/usr/bin/env bash
marker="$work/failed-once-\${SLURM_ARRAY_TASK_ID:-none}"
if [ "\$1" != merge ] && [ ! -e "\$marker" ]; then touch "\$marker"; exit 74; fi
exec "$DETSIM" "\$@"
FLAKY
chmod +x "$work/flaky-detsim"

# The unsharded outputs, before the cluster starts.
plain_status=0
"$DETSIM" run broadcast --seeds 1..40 --json >"$work/plain-pass.json" || plain_status=$?
[ "$plain_status" -eq 0 ] || { echo "slurm-check: plain run exited $plain_status, not 0" >&2; exit 1; }
plain_status=0
"$DETSIM" run broadcast --seeds 1..40 --set bug=no_retry --json >"$work/plain-bug.json" || plain_status=$?
[ "$plain_status" -eq 1 ] || { echo "slurm-check: plain bug run exited $plain_status, not 1" >&2; exit 1; }
"$DETSIM" sweep broadcast --grid rate=20,80 --seeds 1..10 --out "$work/plain.csv" >/dev/null

started=$(date +%s.%N)
SLURM_CHECK_INSIDE=$work "$repo/deploy/slurm/local-cluster.sh" -- "$0" "$build"
ended=$(date +%s.%N)

failed=0
fail() {
  echo "slurm-check: FAIL: $*" >&2
  failed=1
}
# run --json lines with every wall_s removed; merge's trailing
# {"failures":...} line (which plain run does not print) dropped.
comparable() { sed '/^{"failures"/d; s/"wall_s":[0-9.e+-]*//' "$1"; }
# The CSV without its wall_s column.
csv_without_wall() {
  /usr/bin/python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
drop = rows[0].index("wall_s")
w = csv.writer(sys.stdout, lineterminator="\n")
for row in rows:
    w.writerow(row[:drop] + row[drop + 1:])
' "$1"
}
check_run() {
  local name=$1 want_status=$2 shards=$3
  local got
  got=$(cat "$work/status-$name" 2>/dev/null || echo none)
  [ "$got" = "$want_status" ] || fail "$name: run.sh exited $got, not $want_status"
  [ "$(find "$work/$name" -name "shard-*.jsonl" | wc -l)" -eq "$shards" ] ||
    fail "$name: not $shards shard files in $work/$name"
  [ "$(grep -c "\"shards\":$shards," "$work/$name"/shard-*.jsonl | grep -c ':1$')" -eq "$shards" ] ||
    fail "$name: the shard headers do not all say $shards shards (--shard auto from Slurm)"
}

check_run pass 0 4
check_run bug 1 4
check_run sweep 0 3
check_run retry 0 2
[ "$(grep -l 'attempt 1 exited 74' "$work"/retry/shard-*.log | wc -l)" -eq 2 ] ||
  fail "retry: not every task logged its failed first attempt"
# Shows the first differing lines (rows are long) and fails when A and B differ.
expect_same() {
  local what=$1
  if ! cmp -s "$2" "$3"; then
    diff "$2" "$3" | cut -c1-300 | head -n 12 >&2 || true
    fail "$what"
  fi
}
comparable "$work/merged-pass.json" >"$work/merged-pass.cmp"
comparable "$work/plain-pass.json" >"$work/plain-pass.cmp"
expect_same "pass: the merge differs from the unsharded run" "$work/merged-pass.cmp" "$work/plain-pass.cmp"
comparable "$work/merged-bug.json" >"$work/merged-bug.cmp"
comparable "$work/plain-bug.json" >"$work/plain-bug.cmp"
expect_same "bug: the merge differs from the unsharded run" "$work/merged-bug.cmp" "$work/plain-bug.cmp"
comparable "$work/merged-retry.json" >"$work/merged-retry.cmp"
expect_same "retry: the merge differs from the unsharded run" "$work/merged-retry.cmp" "$work/plain-pass.cmp"
grep -q '"safety":[1-9]' "$work/merged-bug.json" || fail "bug: the merge reports no safety failure"
csv_without_wall "$work/merged.csv" >"$work/merged.cmp" || fail "sweep: no merged CSV"
csv_without_wall "$work/plain.csv" >"$work/plain.cmp"
expect_same "sweep: the merged CSV differs from the unsharded sweep's" "$work/merged.cmp" "$work/plain.cmp"

seconds=$(awk "BEGIN { printf \"%.1f\", $ended - $started }")
if [ "$failed" -ne 0 ]; then
  echo "slurm-check: FAILED (cluster part ${seconds} s); shard logs were in $work" >&2
  exit 1
fi
echo "slurm-check: OK: 4 job arrays merged equal to their unsharded runs (cluster part ${seconds} s)"
