#!/usr/bin/env bash
# The main job on the bundled default: installs dependencies, builds, then runs a fault-injection campaign
# on the bundled small CIFAR-10 model: 100 repetitions at each of three bit error rates, binomial fault
# counts, on the GPU when one is present, else on the CPU (about a minute on 2 cores). It leaves
# out/default/{campaign.json,runs.jsonl,summary.csv,summary.json,accuracy_drop.svg}; rerunning resumes or, when complete,
# only rewrites the summary. `scripts/run_default.sh data/default/resnet20_cifar10.h5` runs the same job on
# the second bundled model (ResNet-20), into out/default-resnet20_cifar10/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
device=cpu
[[ "$(build/ftcnn devices --count 2>/dev/null || echo 0)" -gt 0 ]] && device=cuda
model=${1:-data/default/small_cifar10.h5}
out=out/default
[[ $# -ge 1 ]] && out=out/default-$(basename "$model" .h5)
data=data/default/cifar10-test-slice
build/ftcnn eval --model "$model" --data "$data" --device "$device"
build/ftcnn campaign --model "$model" --data "$data" --device "$device" \
  --ber 1e-7,1e-6,1e-5 --reps 100 --images 300 --count binomial --seed 1 --out "$out"
echo "run_default.sh: open $out/accuracy_drop.svg for the plot"
