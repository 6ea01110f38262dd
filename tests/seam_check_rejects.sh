#!/usr/bin/env bash
# scripts/check-seam.sh must reject what the seam forbids, and pass a tree
# that keeps to it (tests/CMakeLists.txt runs this as a test).
set -euo pipefail
check="$1"
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/sim/api" "$tree/sim/core" "$tree/models/m" "$tree/examples/e/src"
echo '#include "sim/core/time.h"' > "$tree/sim/api/context.h"
: > "$tree/sim/core/time.h"
printf '#include "sim/api/context.h"\n#include "models/m/m.h"\n' > "$tree/models/m/m.cc"
printf '#include "sim/api/context.h"\n#include "src/own.h"\n' > "$tree/examples/e/main.cc"
: > "$tree/examples/e/src/own.h"
"$check" "$tree" || { echo "a tree that keeps to the seam was rejected"; exit 1; }
expect_rejected() {
  local out
  if out="$("$check" "$tree")"; then echo "not rejected: $1"; exit 1; fi
  grep -q "$1" <<<"$out" || { echo "rejection does not name $1: $out"; exit 1; }
}
echo '#include "sim/world/world.h"' >> "$tree/models/m/m.cc"
expect_rejected 'models/m/m.cc includes "sim/world/world.h"'
sed -i '$d' "$tree/models/m/m.cc"
echo '#include "sim/core/engine.h"' >> "$tree/sim/api/context.h"
expect_rejected 'sim/api/context.h includes "sim/core/engine.h"'
sed -i '$d' "$tree/sim/api/context.h"
echo '#include "sim/core/engine.h"' >> "$tree/sim/core/time.h"
expect_rejected 'sim/core/time.h includes "sim/core/engine.h"'
: > "$tree/sim/core/time.h"
echo '#include "replay/cli.h"' >> "$tree/examples/e/main.cc"
expect_rejected 'examples/e/main.cc includes "replay/cli.h"'
echo "check-seam.sh accepts the seam and rejects each breach"
