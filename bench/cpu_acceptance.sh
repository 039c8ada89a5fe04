#!/usr/bin/env bash
# Issue 14's CPU acceptance in one run (docs/performance.md, "CPU acceptance run"): eval of ResNet-20, AlexNet,
# VGG-11 and VGG-16 beside PyTorch and the measured sgemm floor (bench/cpu_vs_pytorch.py), then campaign
# repetitions/s with and without checkpoints beside PyTorch's fault-injection loop at the lowest BER with a
# fault and at 1e-5, paper counts, every engine at batch 1000 (bench/campaign_checkpoints.py); then the time of
# intervals only and of 15 % duplication + EDAC against the plain model for AlexNet, VGG-11 and VGG-16
# (experiments/hardening_overhead.sh: intervals from 2,000 training images, 1,000 test images).
#
#   bench/cpu_acceptance.sh FTCNN WEIGHTS_DIR CIFAR10_DIR CIFAR100_DIR OUT_DIR [THREADS]
#
# WEIGHTS_DIR holds alexnet_cifar10.h5, vgg11_cifar10.h5 and vgg16_cifar100.h5; the CIFAR folders are
# `scripts/prepare_cifar --splits test,train` output. Writes OUT_DIR/eval.{json,md}, OUT_DIR/campaign.{json,md}
# and OUT_DIR/hardening-MODEL/ (variants.json, variants.md).
set -euo pipefail
(($# >= 5)) || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
ftcnn=$1 weights=$2 c10=$3 c100=$4 out=$5 threads=${6:-2}
cd "$(dirname "$0")/.."
mkdir -p "$out"
bench/cpu_vs_pytorch.py --ftcnn "$ftcnn" --threads "$threads" --images 1000 --batch 1000 --rounds 3 \
  --model data/default/resnet20_cifar10.h5 --data "$c10" --model "$weights/alexnet_cifar10.h5" --data "$c10" \
  --model "$weights/vgg11_cifar10.h5" --data "$c10" --model "$weights/vgg16_cifar100.h5" --data "$c100" \
  --out "$out/eval.json" | tee "$out/eval.md"
bench/campaign_checkpoints.py --ftcnn "$ftcnn" --weights "$weights" --cifar10 "$c10" --cifar100 "$c100" \
  --threads "$threads" --ftcnn-batch 1000 --counts paper --bers 1e-8,1e-7,1e-5 --pytorch \
  --out "$out/campaign.json" | tee "$out/campaign.md"
for model in "$weights/alexnet_cifar10.h5" "$weights/vgg11_cifar10.h5" "$weights/vgg16_cifar100.h5"; do
  data=$c10
  [[ $model == *cifar100* ]] && data=$c100
  name=$(basename "$model" .h5)
  mkdir -p "$out/hardening-$name"
  experiments/hardening_overhead.sh --model "$model" --data "$data" --variants intervals_only,edac_15 \
    --images 1000 --warmup 1 --repeats 5 --threads "$threads" --profile-images 2000 --ftcnn "$ftcnn" \
    --out "$out/hardening-$name" | tee "$out/hardening-$name/variants.md"
done
