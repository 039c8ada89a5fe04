#!/usr/bin/env bash
# The main job on the bundled default: installs dependencies, builds, then classifies the bundled CIFAR-10
# test slice with the bundled small model (on the GPU when one is present, else on the CPU).
# Results go to out/default/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
device=cpu
[[ "$(build/ftcnn devices --count 2>/dev/null || echo 0)" -gt 0 ]] && device=cuda
model=data/default/small_cifar10.h5
data=data/default/cifar10-test-slice
mkdir -p out/default
build/ftcnn info --model "$model"
build/ftcnn eval --model "$model" --data "$data" --device "$device"
build/ftcnn eval --model "$model" --data "$data" --device "$device" --json > out/default/eval.json
echo "run_default.sh: results in out/default/eval.json"
