#!/usr/bin/env bash
# scripts/cross-compiler-check.sh must pass two binaries that agree and
# fail, naming the scenario, when one seed's run differs (tests/CMakeLists.txt
# runs this as a test).
set -euo pipefail
check="$1"; detsim="$2"
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
# A stand-in for detsim that lists two scenarios and changes one fingerprint.
cat > "$tree/differs" <<SH
#!/usr/bin/env bash
if [ "\$1" = list ]; then "$detsim" list | sed -n '/^scenarios/,/^\$/p' | grep -E '^(scenarios|  queue |  broadcast |\$)'; exit 0; fi
"$detsim" "\$@" | sed -E '/"seed":7,/s/"fingerprint":"[0-9a-f]+"/"fingerprint":"0000000000000000"/'
SH
cat > "$tree/same" <<SH
#!/usr/bin/env bash
if [ "\$1" = list ]; then "$tree/differs" list; exit 0; fi
exec "$detsim" "\$@"
SH
chmod +x "$tree/differs" "$tree/same"
out="$("$check" "$tree/same" "$detsim")" || { echo "agreeing binaries were rejected: $out"; exit 1; }
grep -q "queue seeds 1..20: 20 runs identical" <<<"$out" || { echo "queue was not compared: $out"; exit 1; }
if out="$("$check" "$tree/same" "$tree/differs")"; then echo "a differing seed passed: $out"; exit 1; fi
grep -q "broadcast seeds 1..20 DIFFER" <<<"$out" || { echo "the difference is not named: $out"; exit 1; }
echo "cross-compiler-check.sh passes agreeing binaries and rejects a differing seed"
