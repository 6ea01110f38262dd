#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (Release, asserts
# on), runs every test with ctest, builds the out-of-tree example against
# an installed detsim and runs it, then executes the capacity notebook
# headless (scripts/notebooks.sh), runs sharded runs under GNU parallel
# and Slurm and checks the Kubernetes manifests, then builds everything again with
# clang++-16 and checks that every scenario's seeds give the same runs as
# under g++ (scripts/cross-compiler-check.sh). With CI=true or
# DETSIM_FUZZ=1 it runs each libFuzzer harness for a minute
# (scripts/fuzz.sh); with CI=true or DETSIM_ASAN=1 it builds and runs the
# ASan+UBSan suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --notebooks --clang --scale-out --browser
# Chromium is installed: the report page check must run, not skip.
export DETSIM_REQUIRE_CHROMIUM=1
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release -j2 --timeout 600
# The installed package, end to end: build examples/abd_register against
# it and run the example's ci command (docs/writing-a-model.md).
./scripts/check-example.sh build
./scripts/notebooks.sh build
# Shards under GNU parallel and a local Slurm cluster, merged, equal the
# unsharded output; the Kubernetes manifests pass their schema and policy
# checks, and their pod commands run locally (docs/scale-out.md).
./scripts/scale-out-check.sh build
./scripts/check-k8s.sh --detsim build/detsim
./scripts/slurm-check.sh build
# The same seed, the same run, whichever compiler built detsim.
cmake --preset clang >/dev/null
cmake --build --preset clang
./scripts/cross-compiler-check.sh build/detsim build-clang/detsim
if [ "${CI:-}" = "true" ] || [ "${DETSIM_FUZZ:-0}" = "1" ]; then
  ./scripts/fuzz.sh 60
fi
if [ "${CI:-}" = "true" ] || [ "${DETSIM_ASAN:-0}" = "1" ]; then
  cmake --preset asan >/dev/null
  cmake --build --preset asan
  ctest --preset asan -j2 --timeout 900
fi
