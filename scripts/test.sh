#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs the whole Catch2 suite through ctest.
# CUDA test cases (ctest label "cuda") run only where a GPU is present; elsewhere they are left out, and
# this script says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
gpus=$(build/ftcnn devices --count 2>/dev/null || echo 0)
cd build
if [[ "$gpus" -gt 0 ]]; then
  ctest --output-on-failure -j "$(nproc)"
else
  echo "test.sh: no GPU on this machine: CUDA test cases (label 'cuda') skipped; CUDA code was compiled only"
  ctest --output-on-failure -j "$(nproc)" -LE cuda
fi
