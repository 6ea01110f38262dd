#!/usr/bin/env bash
# docs/writing-a-model.md is followed by the example: every ```cpp, ```toml
# and ```cmake block of the guide must appear word for word in
# examples/abd_register (abd.cc or abd_test.cc, its scenario file, its
# CMakeLists.txt).
# Exit 1 naming the first block that does not.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
exec /usr/bin/python3 - "$root" <<'PY'
import pathlib, re, sys
root = pathlib.Path(sys.argv[1])
guide = (root / "docs/writing-a-model.md").read_text()
example = root / "examples/abd_register"
sources = {"cpp": (example / "abd.cc").read_text() + (example / "abd_test.cc").read_text(),
           "toml": (example / "scenarios/abd_register.toml").read_text(),
           "cmake": (example / "CMakeLists.txt").read_text()}
blocks = re.findall(r"```(cpp|toml|cmake)\n(.*?)```", guide, re.S)
if len(blocks) < 8:
    sys.exit(f"check-guide: only {len(blocks)} code blocks in docs/writing-a-model.md")
for kind, text in blocks:
    if text.strip() not in sources[kind]:
        first = text.strip().splitlines()[0]
        sys.exit(f"check-guide: a {kind} block of docs/writing-a-model.md is not in the example: {first}")
print(f"check-guide: {len(blocks)} blocks of the guide are in the example")
PY
