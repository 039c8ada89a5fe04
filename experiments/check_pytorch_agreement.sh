#!/usr/bin/env bash
# Acceptance check of the engine against PyTorch (CPU): for the bundled models (small, ResNet-20) and the paper's models in
# ../shared/weights, classify the full CIFAR test split with PyTorch (Debian's python3-torch) and with
# `build/ftcnn eval`, on the same decoded images, with the same thread count, and compare predictions,
# logits, accuracy and time (experiments/compare_pytorch.py). Exits non-zero when any model fails.
#   experiments/check_pytorch_agreement.sh [--threads N]     (results in out/agreement/)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"  # the ftcnn package (compare_pytorch.py)
threads=2
[[ "${1:-}" == "--threads" ]] && threads=$2
shared=../shared
out=out/agreement
mkdir -p "$out"
scripts/install_deps.sh --python
scripts/build.sh
[[ -f "$out/cifar10/test_batch.bin" ]] ||
  scripts/prepare_cifar --pack "$shared/data/cifar10/cifar10-jpeg.npz" --out "$out/cifar10" --splits test
if [[ -f "$shared/data/cifar100/cifar100-jpeg.npz" && ! -f "$out/cifar100/test.bin" ]]; then
  scripts/prepare_cifar --pack "$shared/data/cifar100/cifar100-jpeg.npz" --out "$out/cifar100" --splits test
fi
status=0
check() {  # name weights data
  echo "== $1"
  /usr/bin/python3 experiments/compare_pytorch.py --weights "$2" --data "$3" --ftcnn build/ftcnn --threads "$threads" \
    --json > "$out/$1.json" || status=1
  /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps(r, indent=1))' "$out/$1.json"
}
check small data/default/small_cifar10.h5 "$out/cifar10"
check resnet20 data/default/resnet20_cifar10.h5 "$out/cifar10"
check alexnet "$shared/weights/alexnet_cifar10.h5" "$out/cifar10"
check vgg11 "$shared/weights/vgg11_cifar10.h5" "$out/cifar10"
if [[ -f "$out/cifar100/test.bin" ]]; then
  check vgg16 "$shared/weights/vgg16_cifar100.h5" "$out/cifar100"
else
  echo "== vgg16: skipped: no CIFAR-100 pack at $shared/data/cifar100/"
fi
exit $status
