#!/usr/bin/env bash
# scripts/check-banned.sh must reject each banned API in simulator and model
# code, pass a tree without them, and keep its listed engine exceptions
# (tests/CMakeLists.txt runs this as a test).
set -euo pipefail
check="$1"
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/sim/core" "$tree/sim/world" "$tree/models/m"
cat > "$tree/models/m/m.cc" <<'CC'
// std::chrono::steady_clock in a comment is not code.
Duration start_time() { return ctx.clock().now() - heal_time(); }
CC
echo 'void f(std::chrono::steady_clock::time_point);' > "$tree/sim/core/fifo_algorithm.h"
"$check" "$tree" || { echo "a tree without banned APIs was rejected"; exit 1; }
expect_rejected() {  # LINE NAME: LINE added to models/m/m.cc is rejected as NAME
  local out
  echo "$1" >> "$tree/models/m/m.cc"
  if out="$("$check" "$tree")"; then echo "not rejected: $1"; exit 1; fi
  grep -qF "$2 is banned" <<<"$out" || { echo "rejection of '$1' does not say '$2': $out"; exit 1; }
  sed -i '$d' "$tree/models/m/m.cc"
}
expect_rejected 'auto t = std::chrono::system_clock::now();' 'wall clock'
expect_rejected 'auto t = std::chrono::steady_clock::now();' 'wall clock'
expect_rejected 'long t = time(nullptr);' 'wall clock'
expect_rejected 'long t = std::time(nullptr);' 'wall clock'
expect_rejected 'gettimeofday(&tv, nullptr);' 'wall clock'
expect_rejected '#include <random>' '<random>'
expect_rejected 'std::mt19937 engine(42);' '<random>'
expect_rejected 'int r = rand() % 6;' '<random>'
expect_rejected '#include <thread>' 'threads'
expect_rejected 'std::thread worker([] {});' 'threads'
expect_rejected 'const char* home = getenv("HOME");' 'the environment'
echo 'auto t = std::chrono::steady_clock::now();' > "$tree/sim/world/world.cc"
if "$check" "$tree" >/dev/null; then echo "not rejected: steady_clock in sim/world"; exit 1; fi
echo "check-banned.sh accepts clean code and rejects each banned API"
