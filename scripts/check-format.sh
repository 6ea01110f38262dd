#!/usr/bin/env bash
# The house format (.clang-format) holds for every C++ file in the tree,
# checked with one pinned clang-format (clang-format-16: versions format
# differently). Two exceptions: bench/peer/ stays as the peer benchmark was
# written, and examples/ is laid out for reading at the width of
# docs/writing-a-model.md, which quotes it block by block (check-guide.sh).
# Usage: scripts/check-format.sh [--fix] [ROOT]
# Prints each file that differs and exits 1 if there is one; --fix
# rewrites them instead.
set -euo pipefail
fix=0
[ "${1:-}" = "--fix" ] && { fix=1; shift; }
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
tool="${CLANG_FORMAT:-clang-format-16}"
command -v "$tool" >/dev/null || { echo "check-format.sh: $tool not found (scripts/install-deps.sh --clang)" >&2; exit 64; }
cd "$root"
mapfile -t files < <(find sim models replay tests bench fuzz cmake -type f \
  \( -name '*.h' -o -name '*.cc' -o -name '*.cpp' \) -not -path 'bench/peer/*' 2>/dev/null | sort)
[ ${#files[@]} -gt 0 ] || { echo "check-format.sh: no C++ files under $root" >&2; exit 64; }
if [ "$fix" = 1 ]; then
  "$tool" -i "${files[@]}"
  exit 0
fi
bad=0
for file in "${files[@]}"; do
  if ! "$tool" --dry-run --Werror "$file" >/dev/null 2>&1; then
    echo "check-format: $file differs from .clang-format (scripts/check-format.sh --fix)"
    bad=1
  fi
done
exit "$bad"
