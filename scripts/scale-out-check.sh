#!/usr/bin/env bash
# Sharded runs end to end with the real engines this machine has
# (docs/scale-out.md): GNU parallel runs a run and a sweep as shards through
# deploy/parallel.sh, a shard that fails for an infrastructure reason is
# retried, a second invocation resumes instead of redoing, and each merge
# equals the unsharded command's output apart from wall time.
# Usage: scripts/scale-out-check.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build="$(realpath "${1:-build}")"
detsim="$build/detsim"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "scale-out-check: $*" >&2; exit 1; }
no_wall() { sed -E 's/wall_s=[0-9.]+/wall_s=W/g; s/"wall_s":[0-9.e+-]+/"wall_s":W/g'; }
# A CSV with its wall_s column blanked.
csv_no_wall() {
  /usr/bin/python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
at = rows[0].index("wall_s")
for row in rows:
    row[at] = "W"
    print(",".join(row))' "$1"
}

run_args=(run broadcast --seeds 1..40 --set duration=2s --set settle=1s --set bug=no_retry)
sweep_args=(sweep broadcast --grid nodes=3,5 --grid clients=1,2 --seeds 1..5 --set duration=2s --set settle=1s)

# 1. A run as 6 shards, one of which fails once with exit 74 (a full disk,
# say) and is retried; seeds that fail are results, merged like the rest.
cat > "$work/flaky-detsim" <<EOF
#!/usr/bin/env bash
if [[ " \$* " == *" --shard 2/6 "* ]] && [ ! -e "$work/failed-once" ]; then
  touch "$work/failed-once"; echo "detsim: cannot write to standard output" >&2; exit 74
fi
exec "$detsim" "\$@"
EOF
chmod +x "$work/flaky-detsim"
status=0
DETSIM="$work/flaky-detsim" deploy/parallel.sh -M 6 -j 2 "$work/run" -- "${run_args[@]}" > "$work/run.out" || status=$?
[ "$status" -eq 1 ] || fail "parallel run: exit $status, expected 1 (some seeds of no_retry fail)"
[ -e "$work/failed-once" ] || fail "the flaky shard never ran"
[ "$(awk 'NR > 1 && $7 != 0' "$work/run/joblog" | wc -l)" -eq 0 ] || fail "a job failed for good: $(cat "$work/run/joblog")"
"$detsim" "${run_args[@]}" > "$work/whole.out" || true
diff <(sed '/^failures by property/,$d' "$work/run.out" | no_wall) <(no_wall < "$work/whole.out") >/dev/null ||
  fail "the merged run differs from the unsharded run"
grep -q "^failures by property, fastest first:" "$work/run.out" || fail "no failure report"

# 2. Again on the same directory: every shard is in the joblog, none reruns.
before=$(stat -c %Y "$work/run/shard-0.jsonl")
DETSIM="$detsim" deploy/parallel.sh -M 6 -j 2 "$work/run" -- "${run_args[@]}" > /dev/null || true
[ "$(stat -c %Y "$work/run/shard-0.jsonl")" = "$before" ] || fail "a second invocation reran a finished shard"

# 3. A sweep as 7 shards (20 runs: uneven); the merged CSV is the sweep's.
DETSIM="$detsim" deploy/parallel.sh -M 7 -j 2 "$work/sweep" -- "${sweep_args[@]}" > /dev/null
"$detsim" "${sweep_args[@]}" --out "$work/whole.csv" > /dev/null
diff <(csv_no_wall "$work/sweep/merged.csv") <(csv_no_wall "$work/whole.csv") >/dev/null ||
  fail "the merged sweep CSV differs from the unsharded sweep's"

echo "scale-out-check: GNU parallel: run (6 shards, one retried) and sweep (7 shards) merge to the unsharded output"
