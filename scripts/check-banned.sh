#!/usr/bin/env bash
# Determinism rules (DESIGN.md): simulator and model code never reads real
# time, <random>, threads or the environment. Everything that varies comes
# from the seed (sim/core/rng.h) and the simulated clock (sim/core/time.h).
# Banned in sim/, models/ and examples/:
#   - wall clocks: std::chrono's system/steady/high_resolution clocks,
#     time(), clock(), gettimeofday, clock_gettime;
#   - <random>, random_device, the std engines, rand()/srand()/random();
#   - threads: <thread>, <mutex>, <future>, <condition_variable>,
#     std::thread/jthread/async, pthread_*;
#   - getenv/secure_getenv/environ.
# The engine's exceptions are listed in `allowed` below, each with why.
# Comment lines (starting with //) are not read.
# Usage: scripts/check-banned.sh [ROOT]   (default: this checkout)
# Prints each offending line and exits 1 if there is one; 0 otherwise.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
[ -d "$root/sim" ] || { echo "check-banned.sh: no sim/ under $root" >&2; exit 64; }

banned=(
  'wall clock|(system_clock|steady_clock|high_resolution_clock|gettimeofday|clock_gettime)'
  'wall clock|(^|[^A-Za-z0-9_])(std)?::(time|clock)[[:space:]]*\('
  'wall clock|(^|[^A-Za-z0-9_.>:])time[[:space:]]*\([[:space:]]*(nullptr|NULL|0|&)'
  'wall clock|(^|[^A-Za-z0-9_.>:])clock[[:space:]]*\([[:space:]]*\)'
  '<random>|#[[:space:]]*include[[:space:]]*<random>'
  '<random>|(random_device|mt19937|minstd_rand|default_random_engine|ranlux)'
  '<random>|(^|[^A-Za-z0-9_.>])(std::|::)?(rand|srand|random|drand48|rand_r)[[:space:]]*\('
  'threads|#[[:space:]]*include[[:space:]]*<(thread|mutex|shared_mutex|future|condition_variable|stop_token|semaphore|barrier|latch)>'
  'threads|(std::(thread|jthread|async)\b|pthread_)'
  'the environment|(getenv|secure_getenv|\benviron\b)'
)
# file:pattern-name pairs the engine needs. FifoAlgorithm overrides
# Boost.Fiber's scheduler interface, whose suspend_until takes a
# steady_clock deadline; detsim never passes a real one (it asserts).
allowed=(
  'sim/core/fifo_algorithm.h:wall clock'
  'sim/core/fifo_algorithm.cc:wall clock'
)
is_allowed() {
  local entry
  for entry in "${allowed[@]}"; do [ "$entry" = "$1:$2" ] && return 0; done
  return 1
}

bad=0
while IFS= read -r -d '' file; do
  rel="${file#"$root"/}"
  for rule in "${banned[@]}"; do
    name="${rule%%|*}"
    pattern="${rule#*|}"
    is_allowed "$rel" "$name" && continue
    while IFS= read -r hit; do
      echo "check-banned: $rel:$hit: $name is banned in simulator and model code"
      bad=1
    done < <(grep -nE "$pattern" "$file" | grep -vE '^[0-9]+:[[:space:]]*//' || true)
  done
done < <(find "$root/sim" "$root/models" "$root/examples" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.hpp' -o -name '*.cpp' \) -print0 2>/dev/null)
exit "$bad"
