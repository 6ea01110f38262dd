#!/usr/bin/env bash
# Executes notebooks/capacity_lag.ipynb headless, as CI does: a short sweep
# of edge_replication_capacity (20 s runs, a smaller grid) feeds it, and the
# executed notebook and its PNG land in build/notebooks/. Uses Debian's
# jupyter-nbconvert, python3-pandas and python3-matplotlib, which run under
# /usr/bin/python3 (not a pyenv python3 first on PATH). Then the same for
# notebooks/cdc_fanin_capacity.ipynb, on a short fresh sweep of
# cdc_fanin_capacity (6 runs; docs/capacity.md has the full one), and
# notebooks/noisy_neighbours_capacity.ipynb on a short sweep (4 runs), and
# notebooks/log_mirror_capacity.ipynb on a short fresh sweep of
# log_mirror_capacity (4 runs at 80 ms RTT).
# Usage: scripts/notebooks.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
out="$build/notebooks"
mkdir -p "$out"
# run_notebook NAME PATTERN [LOW HIGH]: executes notebooks/NAME.ipynb
# headless on the sweep just written to $out/NAME.csv, into $out; fails
# unless it wrote $out/NAME.png, raised no error, and printed a line that
# matches PATTERN (a Python regex), which is echoed. With LOW and HIGH the
# pattern's first group, a number, must lie in [LOW, HIGH].
run_notebook() {
  local name="$1" pattern="$2" low="${3:-}" high="${4:-}"
  rm -f "$out/$name.png"
  (cd notebooks && DETSIM_SWEEP_CSV="$PWD/../$out/$name.csv" DETSIM_NOTEBOOK_OUT="$PWD/../$out" \
    PYDEVD_DISABLE_FILE_VALIDATION=1 /usr/bin/python3 -m nbconvert --to notebook --execute \
    --output-dir "$PWD/../$out" "$name.ipynb")
  test -s "$out/$name.png" || { echo "notebooks.sh: $name wrote no PNG" >&2; exit 1; }
  /usr/bin/python3 - "$out/$name.ipynb" "$pattern" "$low" "$high" <<'PY'
import json, re, sys
path, pattern, low, high = sys.argv[1:5]
notebook = json.load(open(path))
outputs = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
text = "".join("".join(o.get("text", "")) for o in outputs)
errors = [o for o in outputs if o.get("output_type") == "error"]
answer = next((line for line in text.splitlines() if re.search(pattern, line)), None)
if errors or answer is None:
    sys.exit(f"notebooks.sh: {path} did not answer its question")
if low and not int(low) <= int(re.search(pattern, answer).group(1)) <= int(high):
    sys.exit(f"notebooks.sh: the answer of {path} moved: {answer}")
print("notebooks.sh: " + answer)
PY
}

"$build/detsim" sweep edge_replication_capacity \
  --grid rate=2000000,4000000,5000000,6000000,8000000 --grid workers=48,64,72,96 \
  --seeds 1..1 --jobs 2 --set duration=20s --set settle=5s --out "$out/capacity_lag.csv"
run_notebook capacity_lag "apply workers keep p99"
# The CDC fan-in loader section (docs/capacity.md).
"$build/detsim" sweep cdc_fanin_capacity --grid batch_records=256 --grid loader_workers=2,3,4 --grid rate=5,40 \
  --seeds 1..1 --jobs 2 --out "$out/cdc_fanin_capacity.csv"
run_notebook cdc_fanin_capacity "loader workers keep p99"
# The noisy-neighbours section (docs/capacity.md): how many pods keep p99
# under 10 ms, on a short fresh sweep (32 tenants, skew 1, 2M req/s, 4
# pod counts: 4 runs). The sweep's 2 pods overload the biggest tenant's
# pod; 3 or more must do.
"$build/detsim" sweep noisy_neighbours_capacity --grid tenants=32 --grid pods=2,3,4,6 --grid tenant_skew=1.0 \
  --grid load=2000000 --seeds 1..1 --jobs 2 --out "$out/noisy_neighbours_capacity.csv"
run_notebook noisy_neighbours_capacity "^(\d+) pods keep p99 under 10 ms for 32 tenants at skew 1 and 2M req/s" 3 6
# The geo-mirroring section (docs/capacity.md).
"$build/detsim" sweep log_mirror_capacity --grid wan_rtt=80ms --grid batch_records=4 --grid inflight=1 \
  --grid partitions=1,2,4,8 --grid load_mbps=4 --grid mirror_tasks=1 --seeds 1..1 --jobs 2 --set duration=10s \
  --out "$out/log_mirror_capacity.csv"
run_notebook log_mirror_capacity "keep p99 record age under"
