#!/usr/bin/env bash
# The installable package, end to end (issue 14): install this build of
# detsim to a temporary prefix, build examples/abd_register against it in
# a separate tree, run the example's own property tests, and run its `ci`
# command: the stock scenario passes, and its planted bug fails it, each
# with a JUnit file that says so.
# Usage: scripts/check-example.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
[ -d "$build" ] || { echo "check-example.sh: no build directory $build" >&2; exit 64; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S examples/abd_register -B "$work/abd" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/abd" -j2 >/dev/null
sim="$work/abd/abd_sim"
# The example's own GoogleTest + RapidCheck suite, on detsim as a library.
ctest --test-dir "$work/abd" --output-on-failure >"$work/ctest.out" || { cat "$work/ctest.out" >&2; exit 1; }

"$sim" ci --seeds 1..50 --jobs 2 --junit "$work/pass.xml" >"$work/pass.out"
grep -q 'testcase classname="detsim.abd_register" name="abd_register"' "$work/pass.xml"
if grep -q '<failure' "$work/pass.xml"; then echo "check-example: the stock scenario failed" >&2; exit 1; fi

status=0
"$sim" ci --seeds 1..50 --jobs 2 --set bug=skip_write_back --junit "$work/bug.xml" >"$work/bug.out" || status=$?
[ "$status" -eq 1 ] || { echo "check-example: skip_write_back gave exit $status, not 1 (safety)" >&2; exit 1; }
grep -q '<failure message="seed [0-9]*: safety linearizability' "$work/bug.xml" ||
  { echo "check-example: no linearizability failure in the JUnit file" >&2; exit 1; }
echo "check-example: abd_sim and abd_test built against the installed package; tests pass; stock passes, skip_write_back fails ($(grep -c '<failure' "$work/bug.xml") of 50 seeds)"
