#!/usr/bin/env bash
# Wall time of edge_replication at 5M rows/s (issue 5): the capacity scenario
# (row_model=aggregate, one event per binlog group/batch, not per row) for a
# few seeds at each worker count, the explicit-row correctness scenario for
# context, and the raw engine (bench/engine_bench W1, W2) in the same run as
# the events/s yardstick. One process at a time, `--jobs 1` (in-process, one
# core). Prints markdown tables of medians for docs/performance.md.
#
# Usage: bench/edge_replication_capacity.sh DETSIM_BIN [ENGINE_BENCH_BIN] [REPS]
#   DETSIM_BIN        e.g. build/detsim
#   ENGINE_BENCH_BIN  e.g. build/bench/engine_bench; "-" or absent: no engine rows
#   REPS              runs per (config, seed) (default 3; medians are quoted)
# Environment:
#   SEEDS           capacity seeds (default "1 2 3")
#   CONFIGS         capacity configs, each a comma-separated list of --set overrides (default
#                   "workers=96 workers=96,duration=60s workers=64,duration=60s", the rows of
#                   docs/performance.md; the scenario's own duration=70s is 60 s of writes, 300M
#                   rows, plus the 10 s settle; duration=60s writes 50 s = 250M rows)
#   EXPLICIT_SEEDS  seeds of the explicit-row scenario edge_replication (default "1 2 3 4 5")
#   RAW_LOG         where to keep every record and the programs' stderr (default: a temp file)
#   TIME_BIN        GNU time (default /usr/bin/time; if not executable, a python3 getrusage wrapper)
#
# Columns: wall s = the run's own wall_s (simulate() of the seed: setup, run, checks); process s,
# CPU s (user+system) and peak RSS (ru_maxrss) are the whole process's, from GNU /usr/bin/time
# (the same fields as `time -v`), or from getrusage(RUSAGE_CHILDREN) in a python3 wrapper where
# /usr/bin/time is missing. events/s = events / wall s; rows/wall-s = rows_applied / wall s;
# sim/wall = sim_s / wall s (speed-up over real time). Rounds are interleaved (every config and
# seed once per round) so that a busy spell on the shared machine spreads over all of them.
# Takes about 1-2 minutes with the defaults; keep it out of CI.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  sed -n '2,21p' "$0" >&2
  exit 2
fi
DETSIM="$1"
ENGINE="${2:--}"
REPS="${3:-3}"
[ -x "$DETSIM" ] || { echo "not an executable: $DETSIM" >&2; exit 2; }
[ "$ENGINE" = "-" ] || [ -x "$ENGINE" ] || { echo "not an executable: $ENGINE" >&2; exit 2; }
SEEDS="${SEEDS:-1 2 3}"
CONFIGS="${CONFIGS:-workers=96 workers=96,duration=60s workers=64,duration=60s}"
EXPLICIT_SEEDS="${EXPLICIT_SEEDS:-1 2 3 4 5}"
RAW_LOG="${RAW_LOG:-$(mktemp /tmp/edge_replication_capacity.XXXXXX.log)}"
: >"$RAW_LOG"
TIME_BIN="${TIME_BIN:-/usr/bin/time}"
if [ -x "$TIME_BIN" ]; then
  MEASURE="GNU $TIME_BIN"
else
  MEASURE="getrusage(RUSAGE_CHILDREN)"
fi

measured() {  # measured OUT_FILE CMD... -> runs CMD; OUT_FILE gets "elapsed_s user_s sys_s max_rss_kib"
  local out="$1"
  shift
  if [ -x "$TIME_BIN" ]; then
    "$TIME_BIN" -f '%e %U %S %M' -o "$out" "$@"
  else
    /usr/bin/python3 -c '
import resource, subprocess, sys, time
start = time.monotonic()
code = subprocess.run(sys.argv[2:]).returncode
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    out.write(f"{time.monotonic() - start:.3f} {usage.ru_utime:.3f} {usage.ru_stime:.3f} {usage.ru_maxrss}\n")
sys.exit(code)' "$out" "$@"
  fi
}

# run_one KIND LABEL SEED REP CMD... -> appends "rec<TAB>kind label seed rep load elapsed user sys rss rc<TAB>output"
run_one() {
  local kind="$1" label="$2" seed="$3" rep="$4"
  shift 4
  local tfile output times rc=0 load
  load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo nan)"  # 1-min load average before the run
  tfile="$(mktemp)"
  output="$(measured "$tfile" "$@" 2>>"$RAW_LOG")" || rc=$?
  # detsim exits 2 for a liveness verdict (the overloaded config may give one); anything else
  # non-zero, or no output, means the run itself failed.
  if [ -z "$output" ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; }; then
    echo "$kind $label seed=$seed failed (exit $rc): $*" >&2
    rm -f "$tfile"
    return 1
  fi
  # GNU time writes "Command exited with non-zero status N" above its line when N != 0.
  times="$(tail -1 "$tfile")"
  rm -f "$tfile"
  printf 'rec\t%s %s %s %s %s %s %s\t%s\n' "$kind" "$label" "$seed" "$rep" "$load" "$times" "$rc" \
    "$(tr '\n' '\t' <<<"$output")" >>"$RAW_LOG"
  printf '  %-8s %-28s seed=%-3s rep=%s load=%-5s elapsed,user,sys,rss_kib=[%s] exit=%s\n' "$kind" "$label" "$seed" \
    "$rep" "$load" "$times" "$rc" >&2
}

echo "edge_replication capacity: $(date -u '+%Y-%m-%d %H:%M UTC'), $REPS round(s), $MEASURE, raw records in $RAW_LOG" >&2
for rep in $(seq 1 "$REPS"); do
  echo "round $rep/$REPS" >&2
  if [ "$ENGINE" != "-" ]; then
    run_one engine W1:1000:10 0 "$rep" "$ENGINE" W1 1000 10
    run_one engine W2:1000:1 0 "$rep" "$ENGINE" W2 1000 1
  fi
  for config in $CONFIGS; do
    sets=()
    IFS=, read -ra overrides <<<"$config"
    for o in "${overrides[@]}"; do sets+=(--set "$o"); done
    for seed in $SEEDS; do
      run_one capacity "$config" "$seed" "$rep" "$DETSIM" run edge_replication_capacity --seed "$seed" \
        "${sets[@]}" --jobs 1 --json
    done
  done
  for seed in $EXPLICIT_SEEDS; do
    run_one explicit default "$seed" "$rep" "$DETSIM" run edge_replication --seed "$seed" --jobs 1 --json
  done
done

/usr/bin/python3 - "$RAW_LOG" "$REPS" <<'PY'
import json, statistics, sys

raw_log, reps = sys.argv[1], sys.argv[2]
runs = []
for line in open(raw_log):
    if not line.startswith("rec\t"):
        continue
    _, head, output = line.rstrip("\n").split("\t", 2)
    kind, label, seed, rep, load, elapsed, user, system, rss, rc = head.split()
    run = {"kind": kind, "label": label, "seed": int(seed), "load": float(load), "process_s": float(elapsed),
           "cpu_s": float(user) + float(system), "rss_kib": int(rss), "rc": int(rc)}
    if kind == "engine":  # key=value fields of engine_bench's one line
        fields = dict(f.split("=", 1) for f in output.split() if "=" in f)
        run["wall_s"] = float(fields["wall_seconds"])
        run["events"] = int(fields["engine_events"])  # engine.events_fired(), what detsim run counts too
    else:
        seed_line = json.loads(output.split("\t")[0])
        run.update({k: seed_line[k] for k in ("wall_s", "events", "sim_s", "verdict", "fingerprint")})
        run["rows"] = seed_line.get("rows_applied", 0)
        run["lag_p99_s"] = seed_line.get("lag_p99_s", float("nan"))
    runs.append(run)

def med(values):
    return statistics.median(values) if values else float("nan")

def select(kind, label=None, seed=None):
    return [r for r in runs if r["kind"] == kind and label in (None, r["label"]) and seed in (None, r["seed"])]

def stats(group):
    wall = [r["wall_s"] for r in group]
    return {"n": len(group), "wall": med(wall), "wall_min": min(wall), "wall_max": max(wall),
            "process": med([r["process_s"] for r in group]), "cpu": med([r["cpu_s"] for r in group]),
            "events": med([r["events"] for r in group]), "eps": med([r["events"] / r["wall_s"] for r in group]),
            "rss_mib": max(r["rss_kib"] for r in group) / 1024}

def deterministic(group):  # the same seed and config must give the same fingerprint every time
    by_seed = {}
    for r in group:
        by_seed.setdefault(r["seed"], set()).add(r["fingerprint"])
    return all(len(prints) == 1 for prints in by_seed.values())

def labels(kind):
    return list(dict.fromkeys(r["label"] for r in runs if r["kind"] == kind))

loads = [r["load"] for r in runs]
print(f"Medians over {reps} round(s); 1-min load average {min(loads):.2f}-{max(loads):.2f} before the runs.")
print()
engine_eps = {}
if select("engine"):
    print("| engine point (bench/engine_bench) | runs | engine events | wall s | M events/s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for label in labels("engine"):
        s = stats(select("engine", label))
        engine_eps[label] = s["eps"]
        print(f"| {label.replace(':', ' N=', 1).replace(':', ' T=')} | {s['n']} | {s['events']:.0f} | {s['wall']:.3f} | "
              f"{s['eps'] / 1e6:.2f} | {s['rss_mib']:.0f} |")
    print()
w1 = engine_eps.get("W1:1000:10")
print("| capacity config | seeds x rounds | verdict (exit) | events | sim s | rows applied | wall s (min-max) | process s "
      "| CPU s | M events/s | vs W1 | M rows/wall-s | sim/wall | peak RSS MiB | lag p99 s |")
print("|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for label in labels("capacity"):
    group = select("capacity", label)
    s = stats(group)
    verdicts = ",".join(sorted({f"{r['verdict']} ({r['rc']})" for r in group}))
    rows = med([r["rows"] for r in group])
    sim = med([r["sim_s"] for r in group])
    ratio = f"{s['eps'] / w1:.2f}x" if w1 else "n/a"
    seeds = len({r["seed"] for r in group})
    note = "" if deterministic(group) else " (fingerprints differ!)"
    print(f"| {label} | {seeds} x {s['n'] // seeds} | {verdicts}{note} | {s['events']:.0f} | {sim:.0f} | {rows / 1e6:.1f} M "
          f"| {s['wall']:.2f} ({s['wall_min']:.2f}-{s['wall_max']:.2f}) | {s['process']:.2f} | {s['cpu']:.2f} "
          f"| {s['eps'] / 1e6:.2f} | {ratio} | {med([r['rows'] / r['wall_s'] for r in group]) / 1e6:.0f} "
          f"| {med([r['sim_s'] / r['wall_s'] for r in group]):.0f}x | {s['rss_mib']:.0f} "
          f"| {med([r['lag_p99_s'] for r in group]):.3f} |")
print()
print("| edge_replication (explicit rows) seed | rounds | verdict | events | sim s | wall s (min-max) | CPU s "
      "| M events/s | sim/wall | peak RSS MiB |")
print("|---|---:|---|---:|---:|---|---:|---:|---:|---:|")
for seed in sorted({r["seed"] for r in select("explicit")}):
    group = select("explicit", seed=seed)
    s = stats(group)
    verdict = ",".join(sorted({r["verdict"] for r in group})) + ("" if deterministic(group) else " (fingerprints differ!)")
    print(f"| {seed} | {s['n']} | {verdict} | {s['events']:.0f} | {group[0]['sim_s']:.0f} "
          f"| {s['wall']:.3f} ({s['wall_min']:.3f}-{s['wall_max']:.3f}) | {s['cpu']:.3f} | {s['eps'] / 1e6:.3f} "
          f"| {med([r['sim_s'] / r['wall_s'] for r in group]):.0f}x | {s['rss_mib']:.0f} |")
print()
worst = max(select("capacity"), key=lambda r: r["process_s"], default=None)
if worst:
    verdict = "met" if worst["process_s"] <= 10 else "NOT met"
    print(f"Target (<= ~10 s wall for 60 s at 5M rows/s, one core): slowest capacity run {worst['process_s']:.2f} s "
          f"(process, {worst['label']} seed {worst['seed']}; its own wall_s {worst['wall_s']:.2f} s): {verdict}.")
print(f"raw records: {raw_log}")
PY
