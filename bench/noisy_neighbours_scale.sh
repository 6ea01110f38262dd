#!/usr/bin/env bash
# Wall time of noisy_neighbours at 1-5M requests per simulated second: the
# capacity scenario (pods mode, no faults; requests in 1 ms batches, one
# message per tenant per tick) at several offered loads, for a few seeds,
# one process at a time (--jobs 1, one core). Prints a markdown table of
# medians for docs/performance.md: wall s per simulated second, requests per
# wall second, events, and the process's CPU and peak RSS.
#
# Usage: bench/noisy_neighbours_scale.sh DETSIM_BIN [REPS]
#   DETSIM_BIN  e.g. build/detsim
#   REPS        runs per (load, seed) (default 3; medians are quoted)
# Environment:
#   LOADS   offered requests/s (default "1000000 2000000 5000000")
#   SEEDS   (default "1 2 3")
#   SETS    extra --set overrides, space-separated (default "tenants=32 pods=8 db_workers=64": enough
#           pods that 5M req/s is not overloaded)
# Columns: sim s = the scenario's duration (2.5 s: the generators send for 2 s); wall s = the run's own
# wall_s; wall/sim = wall seconds per simulated second; Mreq/wall-s = requests_sent / wall s.
# Takes about 10 s with the defaults; keep it out of CI.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  sed -n '2,20p' "$0" >&2
  exit 2
fi
DETSIM="$1"
REPS="${2:-3}"
[ -x "$DETSIM" ] || { echo "not an executable: $DETSIM" >&2; exit 2; }
LOADS="${LOADS:-1000000 2000000 5000000}"
SEEDS="${SEEDS:-1 2 3}"
SETS="${SETS:-tenants=32 pods=8 db_workers=64}"
TIME_BIN=/usr/bin/time
[ -x "$TIME_BIN" ] || { echo "needs GNU time at $TIME_BIN" >&2; exit 2; }
raw="$(mktemp /tmp/noisy_neighbours_scale.XXXXXX)"
overrides=()
for s in $SETS; do overrides+=(--set "$s"); done

# Rounds interleave every load and seed, so a busy spell on a shared
# machine spreads over all of them.
for ((rep = 0; rep < REPS; rep++)); do
  for load in $LOADS; do
    for seed in $SEEDS; do
      line="$("$TIME_BIN" -f 'TIME %U %S %M' "$DETSIM" run noisy_neighbours_capacity --seed "$seed" --jobs 1 \
        --set load="$load" "${overrides[@]}" --json 2>&1)"
      echo "$load $seed $line" | tr '\n' ' ' >>"$raw"
      echo >>"$raw"
    done
  done
done

/usr/bin/python3 - "$raw" <<'PY'
import json, re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    load, seed, rest = line.split(" ", 2)
    run = json.loads(re.search(r'\{"seed".*?\}(?= |$)', rest).group(0))
    user, system, rss = re.search(r"TIME (\S+) (\S+) (\S+)", rest).groups()
    rows.setdefault(int(load), []).append((run, float(user) + float(system), int(rss)))
print("| offered req/s | runs | requests per run | events per run | wall s (median, max) | wall / sim s | "
      "M req / wall s | CPU s (median) | peak RSS | verdicts | p99 |")
print("|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|")
for load in sorted(rows):
    runs = rows[load]
    wall = [r["wall_s"] for r, _, _ in runs]
    med = statistics.median(wall)
    sim = runs[0][0]["sim_s"]
    sent = statistics.median(r["requests_sent"] for r, _, _ in runs)
    events = statistics.median(r["events"] for r, _, _ in runs)
    cpu = statistics.median(c for _, c, _ in runs)
    rss = max(m for _, _, m in runs) / 1024
    verdicts = ",".join(sorted({r["verdict"] for r, _, _ in runs}))
    p99 = statistics.median(r["p99_s"] for r, _, _ in runs)
    print(f"| {load:,} | {len(runs)} | {sent / 1e6:.1f} M | {events / 1e6:.2f} M | {med:.3f} ({max(wall):.3f}) | "
          f"{med / sim:.3f} | {sent / med / 1e6:.1f} | {cpu:.2f} | {rss:.0f} MiB | {verdicts} | {p99 * 1e3:.2f} ms |")
PY
echo "raw records: $raw" >&2
