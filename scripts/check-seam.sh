#!/usr/bin/env bash
# The model seam (DESIGN.md, issue 14): model code sees only sim/api.
#   - every file under models/ and examples/ includes, in quotes, only
#     sim/api/... or files of models/ or of its own example;
#   - sim/api headers, and the headers they export, include of the rest of
#     the simulator only value types and utilities (sim/core time, rng,
#     assert, duration_dist, fiber_ids, ring_queue; sim/metrics histogram
#     and queueing), never the engine or the world.
# Usage: scripts/check-seam.sh [ROOT]   (default: this checkout)
# Prints each offending line and exits 1 if there is one; 0 otherwise.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
[ -d "$root/sim/api" ] || { echo "check-seam.sh: no sim/api under $root" >&2; exit 64; }
bad=0
report() { echo "check-seam: $1"; bad=1; }
# The quoted #include targets of a file, one per line.
includes_of() { sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' "$1"; }

while IFS= read -r -d '' file; do
  rel="${file#"$root"/}"
  while IFS= read -r header; do
    case "$rel" in
      examples/*)
        example_dir="$(cut -d/ -f1-2 <<<"$rel")"
        [[ "$header" == sim/api/* || -e "$root/$example_dir/$header" || -e "$(dirname "$file")/$header" ]] ||
          report "$rel includes \"$header\": model code includes only sim/api/"
        ;;
      *)
        [[ "$header" == sim/api/* || "$header" == models/* ]] ||
          report "$rel includes \"$header\": model code includes only sim/api/"
        ;;
    esac
  done < <(includes_of "$file")
done < <(find "$root/models" "$root/examples" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.hpp' -o -name '*.cpp' \) -print0 2>/dev/null)

exported='sim/core/(time|rng|assert|duration_dist|fiber_ids|ring_queue)\.h|sim/metrics/(histogram|queueing)\.h'
allowed="^(sim/api/[^\"]+|$exported)\$"
while IFS= read -r file; do
  rel="${file#"$root"/}"
  while IFS= read -r header; do
    [[ "$header" =~ $allowed ]] || report "$rel includes \"$header\": sim/api exports only its own headers and value types"
  done < <(includes_of "$file")
done < <(find "$root/sim/api" -type f -name '*.h'; find "$root/sim" -type f -name '*.h' | grep -E "/($exported)\$")
exit "$bad"
