#!/usr/bin/env bash
# Configures and builds ftcnn into build/ (CUDA backend when nvcc is found). Idempotent and incremental.
#   scripts/build.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nvcc >/dev/null && [[ -x /usr/local/cuda/bin/nvcc ]]; then
  export PATH=/usr/local/cuda/bin:$PATH  # CUDA's default location, not always on PATH
fi
# CUDA warnings are errors (FTCNN_CUDA_WERROR), so CI catches CUDA code that rots on a machine without a GPU.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFTCNN_CUDA_WERROR=ON "$@" >/dev/null
cmake --build build -j "$(nproc)"
