#!/usr/bin/env bash
# scripts/check-guide.sh must fail when the guide and the example drift
# apart (tests/CMakeLists.txt runs this as a test).
set -euo pipefail
check="$1"
source_root="$2"
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/docs" "$tree/examples"
cp -r "$source_root/examples/abd_register" "$tree/examples/"
cp "$source_root/docs/writing-a-model.md" "$tree/docs/"
"$check" "$tree" >/dev/null || { echo "the unchanged guide was rejected"; exit 1; }
sed -i 's/const size_t majority = replicas.size() \/ 2 + 1;/const size_t majority = replicas.size() \/ 2;/' "$tree/examples/abd_register/abd.cc"
if out="$("$check" "$tree" 2>&1)"; then echo "a drifted example was not rejected"; exit 1; fi
grep -q "is not in the example" <<<"$out" || { echo "unexpected message: $out"; exit 1; }
echo "check-guide.sh rejects a guide the example no longer follows"
