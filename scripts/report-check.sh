#!/usr/bin/env bash
# `detsim report` in a real headless browser (Debian's chromium): for the
# first failing seed of three planted bugs (raft_kv stale_read and
# broadcast no_retry, which record or do not record a client history, and
# outbox poll_by_sequence_gap) the page loads without script errors
# (<body data-rendered="ok">), and the raft_kv page draws every
# counterexample operation and the server that answered it. Then the page
# of docs/debugging.md's walk-through (raft_kv seed 22 shrunk to one
# partition) must show the stale read, its server and the partition, and
# --screenshot takes the doc's picture of it. Also: a passing seed and an
# unwritable --out exit 64 with nothing written.
#
# Usage: scripts/report-check.sh BUILD_DIR [--screenshot FILE.png]
# Exit 77 (ctest's skip) when chromium is missing, unless
# DETSIM_REQUIRE_CHROMIUM=1 (scripts/test.sh sets it): then exit 1.
set -euo pipefail
build=${1:?usage: report-check.sh BUILD_DIR [--screenshot FILE.png]}
screenshot=""
[ "${2:-}" = "--screenshot" ] && screenshot=${3:?--screenshot needs a file}
# On PATH, so the pages' reproduce lines read "detsim replay ...".
PATH="$(cd "$build" && pwd):$PATH"
detsim=detsim

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  if [ "${DETSIM_REQUIRE_CHROMIUM:-0}" = "1" ]; then
    echo "report-check: chromium not found (scripts/install-deps.sh --browser)" >&2
    exit 1
  fi
  echo "report-check: chromium not found: skipped" >&2
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "report-check: $*" >&2; exit 1; }
# A private profile: no state shared with another test's browser.
chrome() { "$browser" --headless=new --no-sandbox --disable-gpu --user-data-dir="$work/profile" "$@" 2>/dev/null; }

first_failing_seed() {  # SCENARIO BUG
  # Exit 1 or 2 is the point here: some seed fails.
  "$detsim" run "$1" --seeds 1..50 --set bug="$2" --failures-only >"$work/$1.run" || true
  sed -n 's/^seed=\([0-9]*\) verdict=.*/\1/p' "$work/$1.run" | sed -n 1p
}

# report SCENARIO BUG: writes $work/SCENARIO/index.html, checks it renders;
# the dumped DOM is left in $work/SCENARIO.dom.
report() {
  local seed rc=0
  seed=$(first_failing_seed "$1" "$2")
  [ -n "$seed" ] || fail "$1 bug=$2: no failing seed in 1..50"
  "$detsim" report "$1" --seed "$seed" --set bug="$2" --out "$work/$1" >"$work/$1.out" || rc=$?
  [ "$rc" = 1 ] || [ "$rc" = 2 ] || fail "$1 seed $seed: report exited $rc, expected the verdict 1 or 2"
  [ -f "$work/$1/index.html" ] || fail "$1 seed $seed: no index.html"
  chrome --dump-dom "file://$work/$1/index.html" >"$work/$1.dom"
  grep -q 'data-rendered="ok"' "$work/$1.dom" ||
    fail "$1 seed $seed: page did not render: $(grep -o 'data-rendered="[^"]*"' "$work/$1.dom" || echo 'no marker')"
  grep -q 'class="band' "$work/$1.dom" || fail "$1 seed $seed: no fault bands drawn"
  grep -q '<table id="metrics"><tr>' "$work/$1.dom" || fail "$1 seed $seed: no metrics table"
  echo "report-check: $1 bug=$2 seed $seed renders"
}

report raft_kv stale_read
# Every counterexample operation in the blob (keys sorted: "cx" comes just
# before "f" and "id") is drawn and listed with the server that answered.
ids=$(grep -o '"cx":true,"f":"[a-z]*","id":[0-9]*' "$work/raft_kv/index.html" | sed 's/.*"id"://')
[ -n "$ids" ] || fail "raft_kv: no counterexample operations in the page's data"
for id in $ids; do
  grep -q "id=\"cx-op-$id\"" "$work/raft_kv.dom" || fail "raft_kv: counterexample op $id not listed"
  grep -q "id=\"op-$id\"" "$work/raft_kv.dom" || fail "raft_kv: counterexample op $id not drawn"
done
grep -q 'class="server"' "$work/raft_kv.dom" || fail "raft_kv: no serving node named"
report broadcast no_retry
# No client history: the window shows the messages between the nodes.
grep -q 'class="message"' "$work/broadcast.dom" || fail "broadcast: no messages drawn in the window"
report outbox poll_by_sequence_gap

# Bad input: exit 64, one line, nothing written.
rc=0
"$detsim" report raft_kv --seed 1 --out "$work/passing" 2>"$work/passing.err" || rc=$?
[ "$rc" = 64 ] || fail "a passing seed exited $rc, expected 64"
grep -q '^detsim: seed 1 passes' "$work/passing.err" || fail "a passing seed: $(cat "$work/passing.err")"
[ ! -e "$work/passing" ] && [ ! -e "$work/passing.tmp" ] || fail "a passing seed left output behind"
rc=0
"$detsim" report raft_kv --seed 1 --set bug=stale_read --out "$work/no/such/dir" 2>/dev/null || rc=$?
[ "$rc" = 64 ] || fail "an unwritable --out exited $rc, expected 64"

# docs/debugging.md's walk-through: the shrunk stale read. The page must
# outline c0's read, served by n2, with n2 cut off by the partition and
# still drawn as leader while n1 is leader too.
walkthrough=(raft_kv --seed 22 --set bug=stale_read --set duration=17.187s --set clients=9 --set rate=9.07
  --set 'faults.schedule=8.612s isolate @leader 1.375s 0')
rc=0
"$detsim" report "${walkthrough[@]}" --out "$work/walkthrough" >"$work/walkthrough.out" || rc=$?
[ "$rc" = 1 ] || fail "walk-through: report exited $rc, expected 1"
chrome --dump-dom "file://$work/walkthrough/index.html" >"$work/walkthrough.dom"
grep -q 'data-rendered="ok"' "$work/walkthrough.dom" || fail "walk-through: page did not render"
grep -q 'class="vx-op"' "$work/walkthrough.dom" || fail "walk-through: the stale read is not listed"
grep -q 'class="vx-op".*c0 get.*class="server">n2<' "$work/walkthrough.dom" ||
  fail "walk-through: the stale read is not c0's, served by n2"
grep -q 'band-partition" data-node="n2"' "$work/walkthrough.dom" || fail "walk-through: n2 is not drawn cut off"
grep -q 'band-leader" data-node="n1"' "$work/walkthrough.dom" || fail "walk-through: n1's term as leader is not drawn"
echo "report-check: walk-through page shows c0's stale read from n2 behind the partition"

if [ -n "$screenshot" ]; then
  chrome --hide-scrollbars --window-size=1400,1000 --screenshot="$work/shot.png" "file://$work/walkthrough/index.html"
  cp "$work/shot.png" "$screenshot"
  echo "report-check: screenshot $screenshot"
fi
echo "report-check: ok"
