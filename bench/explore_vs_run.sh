#!/usr/bin/env bash
# Guided search against plain seeds (docs/bug-finding.md, "Guided search").
# For each planted bug, three searches on the same two processes:
#   plain    `detsim explore --fanout 0`: seeds 1, 2, 3... with no branch,
#            for the wall-clock budget (the same machinery as guided);
#   guided   `detsim explore`: the same budget, branching;
#   run      `detsim run --seeds 1..N`, N = the seeds plain finished, for
#            the same work done by the ordinary command.
# CPU time is measured (the explore summary's cpu_s; bash's `time` for
# run), so a machine shared with other work still compares fairly.
#
# Usage: bench/explore_vs_run.sh [--budget SECONDS] [--jobs J] [--detsim BIN] [SCENARIO:BUG...]
#   --budget S    wall-clock seconds per explore search (default 40)
#   --jobs J      processes (default 2)
#   --detsim BIN  the binary (default build/detsim)
# Without SCENARIO:BUG pairs: the default list below. Prints a markdown
# table. Exit 0 once measured, 64 on bad arguments.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
budget=40
jobs=2
detsim="$root/build/detsim"
pairs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) budget="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --detsim) detsim="$2"; shift 2 ;;
    -*) echo "explore_vs_run.sh: unknown option $1" >&2; exit 64 ;;
    *) pairs+=("$1"); shift ;;
  esac
done
if [ ${#pairs[@]} -eq 0 ]; then
  pairs=(raft_kv:commit_previous_term raft_kv:stale_read raft_kv:no_truncate_on_conflict
         broadcast:no_retry broadcast:trust_wall_clock)
fi
[ -x "$detsim" ] || { echo "explore_vs_run.sh: no binary at $detsim" >&2; exit 64; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# "seeds runs branches fails failing_seeds first_fail_s cpu_s" from an
# explore's JSON summary.
explore_search() {
  "$detsim" explore "$1" --budget "${budget}s" --jobs "$jobs" --json --set "bug=$2" "${@:3}" \
      > "$work/explore.txt" 2>/dev/null || true
  python3 - "$work/explore.txt" <<'PY'
import json, sys
s = [json.loads(l)['summary'] for l in open(sys.argv[1]) if '"summary"' in l][0]
first = s['first_fail_s']
print(s['seeds'], s['runs'], s['branches'], s['fail'], f"{s['failing_seeds']}/{s['branch_only_seeds']}",
      'never' if first is None else f'{first:.1f}', f"{s['cpu_s']:.1f}")
PY
}

# "fails first_fail_seed cpu_s" of `detsim run --seeds 1..N`.
run_search() {
  local TIMEFORMAT='%U %S'
  { time "$detsim" run "$1" --seeds "1..$3" --jobs "$jobs" --json --set "bug=$2" \
      > "$work/run.txt" 2>/dev/null || true; } 2> "$work/time.txt"
  python3 - "$work/run.txt" "$work/time.txt" <<'PY'
import json, sys
fails, first = 0, None
for text in open(sys.argv[1]):
    line = json.loads(text)
    if 'seed' in line and line['verdict'] != 'pass':
        fails += 1
        first = first or line['seed']
user, system = open(sys.argv[2]).read().split()[-2:]
print(fails, first or 'none', f'{float(user) + float(system):.1f}')
PY
}

per_min() { python3 -c "print(f'{$1 / max($2, 1e-9) * 60:.1f}')"; }

echo "budget ${budget}s per explore, $jobs processes; $(date -u '+%Y-%m-%d %H:%M UTC'); $(git -C "$root" rev-parse --short HEAD)"
echo
echo "| scenario | bug | plain: seeds, fails, CPU s | plain: fails/CPU-min, first (s) | guided: runs (branches), fails, failing seeds/of them on branches only, CPU s | guided: fails/CPU-min, first (s) | run 1..N: fails, first seed, CPU s | run: fails/CPU-min |"
echo "|---|---|---|---|---|---|---|---|"
for pair in "${pairs[@]}"; do
  scenario="${pair%%:*}"
  bug="${pair#*:}"
  read -r p_seeds p_runs p_branches p_fails p_failing p_first p_cpu < <(explore_search "$scenario" "$bug" --fanout 0)
  read -r g_seeds g_runs g_branches g_fails g_failing g_first g_cpu < <(explore_search "$scenario" "$bug")
  read -r r_fails r_first r_cpu < <(run_search "$scenario" "$bug" "$p_seeds")
  echo "| $scenario | $bug | $p_seeds, $p_fails, $p_cpu | $(per_min "$p_fails" "$p_cpu"), $p_first" \
       "| $g_runs ($g_branches), $g_fails, $g_failing, $g_cpu | $(per_min "$g_fails" "$g_cpu"), $g_first" \
       "| $r_fails, $r_first, $r_cpu | $(per_min "$r_fails" "$r_cpu") |"
done
