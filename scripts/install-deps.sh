#!/usr/bin/env bash
# Installs, with apt-get and Debian 12 packages only, whatever detsim needs
# that is missing. Safe to run again: it installs nothing already present.
# Usage: scripts/install-deps.sh [--notebooks] [--peer] [--clang] [--fuzz] [--scale-out] [--browser]
#   --clang: clang++-16 (the second compiler of the determinism check, and
#   libFuzzer's) and clang-format-16 (the format check). Debian 12's default
#   clang 14 lacks std::source_location's builtin.
#   --fuzz: only clang++-16 and its libFuzzer and sanitizer runtimes
#   (scripts/fuzz.sh).
#   --scale-out: GNU parallel, Slurm and munge (a throwaway local cluster;
#   installing them starts no daemon), and the YAML and JSON Schema modules
#   of Debian's python3 for the Kubernetes manifest check
#   (docs/scale-out.md).
#   --browser: Debian's chromium, which scripts/report-check.sh runs
#   headless on `detsim report` pages (docs/debugging.md).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libboost-fiber-dev libboost-context-dev
  libfmt-dev librapidcheck-dev libgtest-dev libgmock-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  libbenchmark-dev graphviz
)
for arg in "$@"; do
  case "$arg" in
    --notebooks) packages+=(jupyter-nbconvert python3-pandas python3-matplotlib python3-ipykernel) ;;
    --peer) packages+=(libsimgrid-dev) ;;
    --clang) packages+=(clang-16 libclang-rt-16-dev clang-format-16) ;;
    --fuzz) packages+=(clang-16 libclang-rt-16-dev) ;;
    --scale-out) packages+=(parallel python3-yaml python3-jsonschema slurm-wlm munge) ;;
    --browser) packages+=(chromium) ;;
    *) echo "install-deps.sh: unknown flag '$arg' (expected --notebooks, --peer, --clang, --fuzz, --scale-out or --browser)" >&2; exit 64 ;;
  esac
done

is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${packages[@]}"; do is_installed "$p" || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0

export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
APT=(apt-get -o DPkg::Lock::Timeout=300 -y --no-install-recommends)
echo "install-deps: installing ${missing[*]}" >&2
for attempt in 1 2 3 4; do
  if $SUDO "${APT[@]}" install "${missing[@]}" >/dev/null; then exit 0; fi
  # The package lists may be missing or stale on a fresh machine.
  $SUDO apt-get -o DPkg::Lock::Timeout=300 update >/dev/null || true
  [ "$attempt" -lt 4 ] && sleep 10
done
echo "install-deps: could not install: ${missing[*]}" >&2
exit 1
