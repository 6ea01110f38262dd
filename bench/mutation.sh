#!/usr/bin/env bash
# Mutation testing of the simulator: how many realistic protocol bugs does
# each model's stock scenario (scenarios/<model>.toml, no overrides) catch
# within N seeds? Each mutant is one small patch under bench/mutants/<model>/
# (docs/bug-finding.md).
#
# Usage: bench/mutation.sh [--seeds N] [--jobs J] [--out FILE] [--workdir DIR]
#                          [--no-baseline] [MODEL|PATCH...]
#   --seeds N      seeds 1..N per mutant (default 200)
#   --jobs J       worker processes for `detsim run`, and build jobs (default 2)
#   --out FILE     also write the markdown report to FILE
#   --workdir DIR  scratch directory to use and keep (default: a temporary
#                  one, removed at the end); reusing it keeps the build warm
#   --no-baseline  skip the run of the unmutated tree
#   MODEL          every patch in bench/mutants/MODEL/
#   PATCH          one patch file; its model is the name of its directory
# Without MODEL or PATCH: every patch under bench/mutants/.
#
# The tree (tracked files with their uncommitted edits, plus untracked files
# that are not ignored) is copied once; one Release build of the detsim
# target is made there. Per patch: apply, build (incremental), run the
# model's stock scenario over seeds 1..N, record the outcome, reverse.
# A patch that does not apply or build is listed, but not counted in the
# kill rate. A patch whose header has an "# equivalent: WHY" line is a
# mutant argued to change no observable behaviour (WHY says why); it is
# still run, and if it survives it is listed as equivalent and left out of
# the kill rate (if it is killed, the argument was wrong: it counts).
# Exit 0 once it ran (the kill rate is data), 64 on bad arguments.
set -euo pipefail

usage_error() {
  echo "mutation.sh: $1 (usage: bench/mutation.sh [--seeds N] [--jobs J] [--out FILE] [--workdir DIR] [--no-baseline] [MODEL|PATCH...])" >&2
  exit 64
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mutants_dir="$root/bench/mutants"
seeds=200
jobs=2
out=""
workdir=""
baseline=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) [ $# -ge 2 ] || usage_error "--seeds needs a value"; seeds="$2"; shift 2 ;;
    --jobs) [ $# -ge 2 ] || usage_error "--jobs needs a value"; jobs="$2"; shift 2 ;;
    --out) [ $# -ge 2 ] || usage_error "--out needs a value"; out="$2"; shift 2 ;;
    --workdir) [ $# -ge 2 ] || usage_error "--workdir needs a value"; workdir="$2"; shift 2 ;;
    --no-baseline) baseline=0; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) usage_error "unknown option $1" ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ "$seeds" =~ ^[1-9][0-9]*$ ]] || usage_error "--seeds must be a positive integer, got '$seeds'"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || usage_error "--jobs must be a positive integer, got '$jobs'"
if [ -n "$out" ]; then
  out_dir="$(dirname "$out")"
  [ -d "$out_dir" ] || usage_error "--out: directory $out_dir does not exist"
  out="$(cd "$out_dir" && pwd)/$(basename "$out")"
fi

# The patches, in order, with their model.
patches=()
[ ${#targets[@]} -gt 0 ] || targets=("$mutants_dir"/*/)
for target in "${targets[@]}"; do
  target="${target%/}"
  if [ -f "$target" ] && [[ "$target" == *.patch ]]; then
    patches+=("$(cd "$(dirname "$target")" && pwd)/$(basename "$target")")
  elif [ -d "$mutants_dir/$(basename "$target")" ] && { [ -d "$target" ] || [[ "$target" != */* ]]; }; then
    found=0
    for patch in "$mutants_dir/$(basename "$target")"/*.patch; do
      [ -f "$patch" ] || continue
      patches+=("$patch")
      found=1
    done
    [ "$found" = 1 ] || usage_error "no patches in bench/mutants/$(basename "$target")"
  else
    usage_error "'$target' is neither a model under bench/mutants/ nor a .patch file"
  fi
done
[ ${#patches[@]} -gt 0 ] || usage_error "no patches found under bench/mutants/"
models=()
for patch in "${patches[@]}"; do
  model="$(basename "$(dirname "$patch")")"
  [ -f "$root/scenarios/$model.toml" ] || usage_error "$patch: no stock scenario scenarios/$model.toml"
  [[ " ${models[*]-} " == *" $model "* ]] || models+=("$model")
done

tty=0
[ -t 2 ] && tty=1
progress() { if [ "$tty" = 1 ]; then printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; fi; }

# ---- the scratch tree and its build ----
if [ -n "$workdir" ]; then
  mkdir -p "$workdir"
  workdir="$(cd "$workdir" && pwd)"
else
  workdir="$(mktemp -d "${TMPDIR:-/tmp}/detsim-mutation.XXXXXX")"
  trap 'rm -rf "$workdir"' EXIT
fi
tree="$workdir/tree"
build="$workdir/build"
progress "copying the tree to $tree"
staging="$workdir/staging"
rm -rf "$staging"
mkdir -p "$staging" "$tree"
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do [ -f "$file" ] && printf '%s\0' "$file"; done |
  tar --null -T - -cf -) | tar -xf - -C "$staging"
# A reused workdir keeps its build warm: only files whose content changed
# are replaced (their timestamps then tell the build what to recompile).
(cd "$tree" && find . -path ./.git -prune -o -type f -print0) | while IFS= read -r -d '' file; do
  [ -f "$staging/$file" ] || rm -f "$tree/$file"
done
(cd "$staging" && find . -type f -print0) | while IFS= read -r -d '' file; do
  if ! cmp -s "$staging/$file" "$tree/$file"; then
    mkdir -p "$(dirname "$tree/$file")"
    cp "$staging/$file" "$tree/$file"
  fi
done
rm -rf "$staging"
# A repository of its own, so a patch is applied and reversed there alone.
[ -d "$tree/.git" ] || git -C "$tree" init -q
git -C "$tree" add -A
git -C "$tree" diff --cached --quiet HEAD 2>/dev/null ||
  git -C "$tree" -c user.name=mutation -c user.email=mutation@localhost commit -q -m "tree as copied"

cmake_options=(-G Ninja -DCMAKE_BUILD_TYPE=Release)
grep -q 'option(DETSIM_BUILD_TESTS' "$tree/CMakeLists.txt" && cmake_options+=(-DDETSIM_BUILD_TESTS=OFF)
grep -q 'option(DETSIM_BUILD_BENCH' "$tree/CMakeLists.txt" && cmake_options+=(-DDETSIM_BUILD_BENCH=OFF)
progress "configuring and building detsim in $build (a first build takes minutes)"
if ! cmake -S "$tree" -B "$build" "${cmake_options[@]}" >"$workdir/configure.log" 2>&1 ||
   ! cmake --build "$build" --target detsim -j "$jobs" >"$workdir/build.log" 2>&1; then
  echo "mutation.sh: the unmutated tree does not build; see $workdir/configure.log and $workdir/build.log" >&2
  trap - EXIT
  exit 1
fi

# ---- one scenario run, summarised ----
# Prints: failing_count first_seed first_verdict first_property (- when none).
run_stock() {
  local model="$1" log="$2" status=0
  "$build/detsim" run "$tree/scenarios/$model.toml" --seeds "1..$seeds" --jobs "$jobs" >"$log" 2>&1 || status=$?
  awk -v status="$status" '
    /^seed=[0-9]+ verdict=/ {
      seed = substr($1, 6) + 0; verdict = substr($2, 9); current = seed
      if (verdict != "pass") { failing++; v[seed] = verdict; if (first == "" || seed < first) first = seed }
      next
    }
    /^ *property: / && current != "" && v[current] != "" && p[current] == "" {
      line = $0; sub(/^ *property: /, "", line)
      # A failed assert: name its place (file:line), the property alone says little.
      where = ""
      if (line ~ /^model_crashed/ && match(line, /[A-Za-z0-9_.-]+\.(cc|h):[0-9]+/)) where = "@" substr(line, RSTART, RLENGTH)
      sub(/:.*/, "", line); p[current] = line where
    }
    END {
      if (first == "" && status != 0) { print 0, "-", "run_error(exit " status ")", "-"; exit }
      if (first == "") { print 0, "-", "-", "-"; exit }
      print failing + 0, first, v[first], (p[first] == "" ? "-" : p[first])
    }' "$log"
}

declare -A base_failing=()
if [ "$baseline" = 1 ]; then
  for model in "${models[@]}"; do
    progress "baseline: $model, seeds 1..$seeds, unmutated"
    read -r failing first verdict property < <(run_stock "$model" "$workdir/baseline-$model.log")
    base_failing[$model]="$failing"
    if [ "$first" = "-" ]; then
      echo "baseline $model: 0 of $seeds seeds fail"
    else
      echo "baseline $model: $failing of $seeds seeds fail (first seed $first: $verdict $property); kills of $model mutants are suspect"
    fi
  done
fi

rows=()
declare -A counted=() killed_count=() unmeasured=() equivalent_count=()
index=0
for patch in "${patches[@]}"; do
  index=$((index + 1))
  model="$(basename "$(dirname "$patch")")"
  name="$(basename "$patch" .patch)"
  description="$(sed -n 's/^# bug: //p' "$patch" | head -n 1)"
  equivalent="$(sed -n 's/^# equivalent: //p' "$patch" | head -n 1)"
  applied=no built=no killed=- failing=- first=- verdict=- property=-
  progress "[$index/${#patches[@]}] $model/$name: applying"
  if git -C "$tree" apply "$patch" 2>"$workdir/apply.log"; then
    applied=yes
    progress "[$index/${#patches[@]}] $model/$name: building"
    if cmake --build "$build" --target detsim -j "$jobs" >"$workdir/build-$model-$name.log" 2>&1; then
      built=yes
      killed=no
      progress "[$index/${#patches[@]}] $model/$name: running seeds 1..$seeds"
      read -r failing first verdict property < <(run_stock "$model" "$workdir/run-$model-$name.log")
      [ "$first" != "-" ] && killed=yes
      if [ "$killed" = no ] && [ -n "$equivalent" ]; then
        killed=equivalent
        equivalent_count[$model]=$(( ${equivalent_count[$model]:-0} + 1 ))
        description="$description (equivalent: $equivalent)"
      else
        counted[$model]=$(( ${counted[$model]:-0} + 1 ))
      fi
      [ "$killed" = yes ] && killed_count[$model]=$(( ${killed_count[$model]:-0} + 1 ))
    fi
  fi
  if [ "$built" = no ]; then
    unmeasured[$model]=$(( ${unmeasured[$model]:-0} + 1 ))
  fi
  if [ "$applied" = yes ]; then
    git -C "$tree" apply -R "$patch" 2>/dev/null || git -C "$tree" checkout -q -- .
  fi
  echo "mutant $model/$name: applied=$applied built=$built killed=$killed first_seed=$first failing=$failing verdict=$verdict property=$property"
  rows+=("| $model | $name | $applied | $built | $killed | $first | $failing | $verdict | $property | $description |")
done

# ---- the report ----
report="$workdir/report.md"
{
  echo "Mutation run: $(date -u +%Y-%m-%dT%H:%MZ), seeds 1..$seeds of each model's stock scenario, no overrides."
  echo
  if [ "$baseline" = 1 ]; then
    for model in "${models[@]}"; do echo "- baseline (unmutated) $model: ${base_failing[$model]} failing seeds"; done
    echo
  fi
  echo "| model | mutant | applied | built | killed | first failing seed | failing seeds | verdict | property | bug |"
  echo "|---|---|---|---|---|---:|---:|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "| model | killed | measured | kill rate | equivalent (not counted) | not applied or not built |"
  echo "|---|---:|---:|---:|---:|---:|"
  total_killed=0 total_counted=0 total_unmeasured=0 total_equivalent=0
  for model in "${models[@]}"; do
    k=${killed_count[$model]:-0} c=${counted[$model]:-0} u=${unmeasured[$model]:-0} e=${equivalent_count[$model]:-0}
    total_killed=$((total_killed + k)) total_counted=$((total_counted + c)) total_unmeasured=$((total_unmeasured + u))
    total_equivalent=$((total_equivalent + e))
    rate="-"
    [ "$c" -gt 0 ] && rate="$(awk -v k="$k" -v c="$c" 'BEGIN { printf "%.0f%%", 100 * k / c }')"
    echo "| $model | $k | $c | $rate | $e | $u |"
  done
  rate="-"
  [ "$total_counted" -gt 0 ] && rate="$(awk -v k="$total_killed" -v c="$total_counted" 'BEGIN { printf "%.0f%%", 100 * k / c }')"
  echo "| **overall** | $total_killed | $total_counted | $rate | $total_equivalent | $total_unmeasured |"
} >"$report"
cat "$report"
if [ -n "$out" ]; then cp "$report" "$out"; fi
exit 0
