#!/usr/bin/env bash
# The ResNet-20 tables of docs/resnet20.md: fault campaigns (paper and binomial counts), and the hardened
# variants (intervals only, 15 % duplication + EDAC, TMR) under faults and in time and memory.
#
#   experiments/resnet20_study.sh --data DIR [--train-data DIR] [--model data/default/resnet20_cifar10.h5]
#       [--images 1000] [--reps 100] [--threads N] [--out out/resnet20] [--ftcnn build/ftcnn]
#
# DIR: a CIFAR-10 binary folder with the test split; --train-data one with the training split, whose first
# 10,000 images give the EDAC intervals (default DIR: then the test split's). Writes under OUT:
#   campaign-paper/, campaign-binomial/   BER 1e-7, 1e-6, 1e-5 on the plain model, --images, --reps
#   intervals.h5, ranking.h5              ftcnn profile, ftcnn vuln --method exact (500 test images)
#   intervals_only.h5, edac_15.h5, tmr.h5 ftcnn harden (Eq. (1) ranking; TMR of every channel)
#   hardened-<variant>/                   each variant's campaign at BER 1e-5 (paper count), same seed
#   variants.json                         ftcnn bench-variants: time and memory against the plain model
# A rerun resumes the campaigns (ftcnn campaign resumes its own log) and redoes the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL=data/default/resnet20_cifar10.h5 DATA="" TRAIN="" IMAGES=1000 REPS=100 THREADS=0 OUT=out/resnet20
FTCNN=build/ftcnn
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case "$1" in
    --model) MODEL=$2 ;;
    --data) DATA=$2 ;;
    --train-data) TRAIN=$2 ;;
    --images) IMAGES=$2 ;;
    --reps) REPS=$2 ;;
    --threads) THREADS=$2 ;;
    --out) OUT=$2 ;;
    --ftcnn) FTCNN=$2 ;;
    -h | --help) usage 0 ;;
    *) echo "resnet20_study: unknown option '$1'" >&2; usage 2 ;;
  esac
  (($# >= 2)) || { echo "resnet20_study: $1 needs a value" >&2; exit 2; }
  shift 2
done
[[ -n "$DATA" ]] || { echo "resnet20_study: --data is required" >&2; usage 2; }
[[ -x "$FTCNN" ]] || { echo "resnet20_study: $FTCNN not found: run scripts/build.sh first" >&2; exit 1; }
mkdir -p "$OUT"
common=(--data "$DATA" --threads "$THREADS")

for count in paper binomial; do
  echo "== campaign, $count count" >&2
  "$FTCNN" campaign --model "$MODEL" "${common[@]}" --images "$IMAGES" --ber 1e-7,1e-6,1e-5 --reps "$REPS" \
    --seed 1 --count "$count" --allow-zero-faults --out "$OUT/campaign-$count"
done

echo "== intervals and Eq. (1) ranking" >&2
if [[ -n "$TRAIN" ]]; then
  "$FTCNN" profile --model "$MODEL" --data "$TRAIN" --split train --images 10000 --threads "$THREADS" \
    --out "$OUT/intervals.h5" >/dev/null
else
  "$FTCNN" profile --model "$MODEL" "${common[@]}" --split test --out "$OUT/intervals.h5" >/dev/null
fi
"$FTCNN" vuln --model "$MODEL" "${common[@]}" --split test --images 500 --evenly-spaced --method exact --out "$OUT/ranking.h5" \
  >/dev/null

echo "== hardened variants" >&2
"$FTCNN" harden --model "$MODEL" --ratio 0 --mode edac --intervals "$OUT/intervals.h5" --ranking "$OUT/ranking.h5" \
  --out "$OUT/intervals_only.h5" >/dev/null
"$FTCNN" harden --model "$MODEL" --ratio 0.15 --mode edac --intervals "$OUT/intervals.h5" \
  --ranking "$OUT/ranking.h5" --out "$OUT/edac_15.h5" >/dev/null
"$FTCNN" harden --model "$MODEL" --ratio 1 --mode tmr --ranking "$OUT/ranking.h5" --out "$OUT/tmr.h5" >/dev/null
for variant in plain intervals_only edac_15 tmr; do
  model="$OUT/$variant.h5"
  [[ "$variant" == plain ]] && model=$MODEL
  echo "== campaign at 1e-5 on $variant" >&2
  "$FTCNN" campaign --model "$model" "${common[@]}" --images "$IMAGES" --ber 1e-5 --reps "$REPS" --seed 1 \
    --count paper --out "$OUT/hardened-$variant"
done

echo "== time and memory (bench-variants)" >&2
"$FTCNN" bench-variants --model "$MODEL" --variant "$OUT/intervals_only.h5" --variant "$OUT/edac_15.h5" \
  --variant "$OUT/tmr.h5" "${common[@]}" --images "$IMAGES" --json >"$OUT/variants.json"
echo "resnet20_study: done; results in $OUT" >&2
