#!/usr/bin/env bash
# Runs the standard engine benchmark points (bench/peer/WORKLOADS.md) on detsim and on the
# SimGrid peer, interleaved, and prints a markdown table of medians with detsim/SimGrid ratios.
#
# Usage: bench/run_engine_comparison.sh DETSIM_BIN SIMGRID_BIN [REPS]
#   DETSIM_BIN   e.g. build/bench/engine_bench
#   SIMGRID_BIN  e.g. build/simgrid_peer   (bash bench/peer/build_simgrid_peer.sh build/simgrid_peer)
#   REPS         runs per point and engine (default 3; the median is quoted)
# Environment:
#   POINTS   override the points, e.g. POINTS="W1:1000:1 W2:1000:0.2" for a quick check
#   RAW_LOG  where to keep every output line and the programs' stderr (SimGrid logs INFO lines
#            there) (default: a temp file, printed at the end)
#
# Runs one process at a time (the machine has 2 cores shared with other builds). A full run takes
# several minutes (SimGrid W3 alone is ~90 s per run): keep it out of CI.
#
# Columns: events/s = the programs' own events_per_sec (events / wall_seconds, wall = actor
# creation + run). "per CPU-s" = events / (user+system CPU seconds of the whole process, from
# /usr/bin/time, so it includes platform setup and exit): on a busy machine wall time includes
# time spent descheduled, CPU time does not. RSS = peak_rss_kib (getrusage ru_maxrss).
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
DETSIM="$1"
SIMGRID="$2"
REPS="${3:-3}"
for b in "$DETSIM" "$SIMGRID"; do
  [ -x "$b" ] || { echo "not an executable: $b" >&2; exit 2; }
done
POINTS="${POINTS:-W1:1000:10 W1:10000:1 W2:1000:1 W3:100000:0.1}"
RAW_LOG="${RAW_LOG:-$(mktemp /tmp/engine_comparison.XXXXXX.log)}"
: >"$RAW_LOG"
TIME_BIN=/usr/bin/time
[ -x "$TIME_BIN" ] || TIME_BIN=""

field() {  # field NAME LINE -> value of NAME=... in LINE
  local name="$1" line="$2"
  sed -n "s/.*\(^\| \)${name}=\([^ ]*\).*/\2/p" <<<"$line"
}

median() {  # median of the arguments (numbers)
  printf '%s\n' "$@" | sort -g | awk 'NF {v[++k] = $1} END {if (k == 0) print "nan"; else if (k % 2) print v[(k + 1) / 2]; else print (v[k / 2] + v[k / 2 + 1]) / 2}'
}

# run ENGINE BIN W N T -> appends "engine point events eps wall rss cpu" to the results
declare -a RESULTS=()
run_one() {
  local engine="$1" bin="$2" w="$3" n="$4" t="$5"
  local tfile line cpu="" load
  load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')"  # 1-min load average before the run
  tfile="$(mktemp)"
  if [ -n "$TIME_BIN" ]; then
    line="$("$TIME_BIN" -f '%U %S' -o "$tfile" "$bin" "$w" "$n" "$t" 2>>"$RAW_LOG")" || { echo "$engine $w $n $t failed" >&2; rm -f "$tfile"; return 1; }
    cpu="$(awk 'END {print $1 + $2}' "$tfile")"
  else
    line="$("$bin" "$w" "$n" "$t" 2>>"$RAW_LOG")" || { echo "$engine $w $n $t failed" >&2; rm -f "$tfile"; return 1; }
  fi
  rm -f "$tfile"
  echo "engine=$engine loadavg_before=$load process_cpu_seconds=${cpu:-nan} $line" >>"$RAW_LOG"
  local events eps wall rss
  events="$(field events "$line")"
  eps="$(field events_per_sec "$line")"
  wall="$(field wall_seconds "$line")"
  rss="$(field peak_rss_kib "$line")"
  RESULTS+=("$engine $w:$n:$t $events $eps $wall $rss ${cpu:-nan}")
  printf '  %-7s %-3s n=%-6s T=%-4s events=%-9s events/s=%-9s wall=%-7s cpu=%-7s rss_kib=%-8s load=%s\n' \
    "$engine" "$w" "$n" "$t" "$events" "$eps" "$wall" "${cpu:-?}" "$rss" "$load" >&2
}

echo "engine comparison: $(date -u '+%Y-%m-%d %H:%M UTC'), $REPS run(s) per point, raw lines in $RAW_LOG" >&2
for rep in $(seq 1 "$REPS"); do
  echo "round $rep/$REPS" >&2
  for p in $POINTS; do
    IFS=: read -r w n t <<<"$p"
    run_one detsim "$DETSIM" "$w" "$n" "$t"
    run_one simgrid "$SIMGRID" "$w" "$n" "$t"
  done
done

col() {  # col ENGINE POINT INDEX -> the values of column INDEX (1-based after engine/point)
  local engine="$1" point="$2" idx="$3" r
  for r in "${RESULTS[@]}"; do
    set -- $r
    if [ "$1" = "$engine" ] && [ "$2" = "$point" ]; then
      shift 2
      eval "echo \${$idx}"
    fi
  done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "nan" && b != "nan" && b > 0) printf "%.1f", a / b; else print "n/a" }'; }
mega() { awk -v a="$1" 'BEGIN { if (a == "nan") print "n/a"; else printf "%.3f", a / 1e6 }'; }
mib() { awk -v a="$1" 'BEGIN { printf "%.0f", a / 1024 }'; }

echo
echo "Medians of $REPS runs. M ev/s: million events/s (W2: messages received/s) over wall time;"
echo "per CPU-s: over the process's user+system time. Ratio = detsim / SimGrid."
echo
echo "| point | detsim M ev/s | SimGrid M ev/s | ratio | detsim M ev/CPU-s | SimGrid M ev/CPU-s | ratio (CPU) | detsim wall s | SimGrid wall s | detsim peak RSS MiB | SimGrid peak RSS MiB | events (detsim / SimGrid) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for p in $POINTS; do
  IFS=: read -r w n t <<<"$p"
  declare -A m=()
  for e in detsim simgrid; do
    m[$e.events]="$(median $(col "$e" "$p" 1))"
    m[$e.eps]="$(median $(col "$e" "$p" 2))"
    m[$e.wall]="$(median $(col "$e" "$p" 3))"
    m[$e.rss]="$(median $(col "$e" "$p" 4))"
    # events per CPU-second, per run, then the median
    local_vals=()
    ev=($(col "$e" "$p" 1))
    cpu=($(col "$e" "$p" 5))
    for i in "${!ev[@]}"; do
      if awk -v c="${cpu[$i]}" 'BEGIN { exit !(c > 0) }'; then
        local_vals+=("$(awk -v e="${ev[$i]}" -v c="${cpu[$i]}" 'BEGIN { print e / c }')")
      fi
    done
    m[$e.epc]="$(median "${local_vals[@]}")"
  done
  printf '| %s N=%s T=%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n' \
    "$w" "$n" "$t" \
    "$(mega "${m[detsim.eps]}")" "$(mega "${m[simgrid.eps]}")" "$(ratio "${m[detsim.eps]}" "${m[simgrid.eps]}")" \
    "$(mega "${m[detsim.epc]}")" "$(mega "${m[simgrid.epc]}")" "$(ratio "${m[detsim.epc]}" "${m[simgrid.epc]}")" \
    "${m[detsim.wall]}" "${m[simgrid.wall]}" \
    "$(mib "${m[detsim.rss]}")" "$(mib "${m[simgrid.rss]}")" \
    "${m[detsim.events]}" "${m[simgrid.events]}"
  unset m
done
echo
echo "raw output lines: $RAW_LOG"
