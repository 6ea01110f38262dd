#!/usr/bin/env bash
# Builds the libFuzzer harnesses (preset fuzz, clang++-16) and runs each for
# SECONDS (default 60), one after another on one core (docs/fuzzing.md).
# First every harness runs once over its saved crash inputs
# (fuzz/regressions/HARNESS/); then it fuzzes from a scratch copy of its seed
# corpus (fuzz/corpus/HARNESS/), so the tree's corpus never grows. Exits 1
# if any harness crashed, hung, ran out of memory or failed a regression;
# a finding is left in $FUZZ_OUT (default build-fuzz/runs/HARNESS/).
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in
  ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 64 ;;
esac
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/install-deps.sh --fuzz
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

# name and the longest input worth trying: a scenario file or a history of
# a few dozen lines; a schedule of a few dozen actions; one distribution.
harnesses=(scenario_fuzzer:8192 fault_text_fuzzer:4096 history_fuzzer:8192 duration_fuzzer:256)
out_root="${FUZZ_OUT:-$root/build-fuzz/runs}"
failed=()
for entry in "${harnesses[@]}"; do
  name="${entry%%:*}"
  max_len="${entry##*:}"
  binary="$root/build-fuzz/fuzz/$name"
  out="$out_root/$name"
  rm -rf "$out" && mkdir -p "$out/corpus"
  regressions="$root/fuzz/regressions/$name"
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    if ! "$binary" -timeout=10 -rss_limit_mb=2048 "$regressions"/* >"$out/regressions.log" 2>&1; then
      echo "fuzz.sh: $name fails on a saved regression input; see $out/regressions.log" >&2
      failed+=("$name")
      continue
    fi
  fi
  cp "$root/fuzz/corpus/$name"/* "$out/corpus/"
  status=0
  "$binary" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" >"$out/fuzz.log" 2>&1 || status=$?
  # libFuzzer's "Done N runs in S second(s)" and its stat::number_of_executed_units.
  runs="$(grep -E '^Done [0-9]+ runs' "$out/fuzz.log" | tail -1 || true)"
  if [ "$status" -ne 0 ]; then
    echo "$name: FAILED (exit $status): $(grep -m1 -E '^==[0-9]+==|^SUMMARY|ERROR' "$out/fuzz.log" || true)"
    echo "  log: $out/fuzz.log; input: $(ls "$out"/crash-* "$out"/timeout-* "$out"/oom-* "$out"/leak-* 2>/dev/null | head -1)"
    failed+=("$name")
  else
    echo "$name: ${runs:-no 'Done' line} ($(grep -m1 stat::number_of_executed_units "$out/fuzz.log" | awk '{print $2}') execs)"
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: all ${#harnesses[@]} harnesses ran ${seconds}s each without a finding"
