#!/usr/bin/env bash
# Execution time and memory of the hardened variants of a model against the model itself, in one process
# (ftcnn bench-variants, docs/performance.md "Variants"; docs/hardening.md has the table it fills):
#
#   experiments/hardening_overhead.sh --model M --data DIR [--device cpu|cuda] [--images N] [--batch 1000]
#       [--repeats 5] [--warmup 2] [--threads N] [--profile-images 10000] [--variants LIST] [--out DIR]
#       [--ftcnn build/ftcnn]
#
# Variants (--variants, comma-separated, default all): intervals_only (edac, ratio 0), edac_15, edac_50 and
# edac_100 (duplication + EDAC), dup_only_100 (100 % duplication without intervals), tmr. Channels are
# ranked by L1 norm: which channels are copied does not change the work, only how many. Intervals come
# from `ftcnn profile` over the first --profile-images images of the training split when DIR has one, else
# of the test split (then the timing is right but fault-free predictions may differ on rare values: see
# top1_differs_from_base).
# Writes OUT/variants.json (the bench-variants JSON) and prints its table.
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL="" DATA="" DEVICE=cpu IMAGES="" BATCH=1000 REPEATS=5 WARMUP=2 THREADS=0 PROFILE_IMAGES=10000
OUT="" FTCNN=build/ftcnn WANTED=intervals_only,edac_15,edac_50,edac_100,dup_only_100,tmr
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case "$1" in
    --model) MODEL=$2 ;;
    --data) DATA=$2 ;;
    --device) DEVICE=$2 ;;
    --images) IMAGES=$2 ;;
    --batch) BATCH=$2 ;;
    --repeats) REPEATS=$2 ;;
    --warmup) WARMUP=$2 ;;
    --threads) THREADS=$2 ;;
    --profile-images) PROFILE_IMAGES=$2 ;;
    --variants) WANTED=$2 ;;
    --out) OUT=$2 ;;
    --ftcnn) FTCNN=$2 ;;
    -h | --help) usage 0 ;;
    *) echo "hardening_overhead: unknown option '$1'" >&2; usage 2 ;;
  esac
  (($# >= 2)) || { echo "hardening_overhead: $1 needs a value" >&2; exit 2; }
  shift 2
done
[[ -n "$MODEL" && -n "$DATA" ]] || { echo "hardening_overhead: --model and --data are required" >&2; usage 2; }
[[ -x "$FTCNN" ]] || { echo "hardening_overhead: $FTCNN not found: run scripts/build.sh first" >&2; exit 1; }
OUT=${OUT:-out/hardening_overhead/$(basename "$MODEL" .h5)}
mkdir -p "$OUT"

SPLIT=test
compgen -G "$DATA/data_batch_*.bin" >/dev/null || compgen -G "$DATA/train.bin" >/dev/null && SPLIT=train
echo "== intervals: ftcnn profile over $PROFILE_IMAGES images of the $SPLIT split" >&2
"$FTCNN" profile --model "$MODEL" --data "$DATA" --split "$SPLIT" --images "$PROFILE_IMAGES" \
  --threads "$THREADS" --out "$OUT/intervals.h5" --json >"$OUT/profile.json"

harden() {  # harden NAME RATIO MODE (when NAME is among --variants)
  [[ ",$WANTED," == *",$1,"* ]] || return 0
  local extra=()
  [[ "$3" == edac ]] && extra=(--intervals "$OUT/intervals.h5")
  "$FTCNN" harden --model "$MODEL" --ratio "$2" --mode "$3" --ranking-method l1 "${extra[@]}" \
    --out "$OUT/$1.h5" --json >"$OUT/$1.harden.json"
  VARIANTS+=(--variant "$OUT/$1.h5")
}
VARIANTS=()
echo "== hardened variants" >&2
harden intervals_only 0 edac
harden edac_15 0.15 edac
harden edac_50 0.5 edac
harden edac_100 1 edac
harden dup_only_100 1 dup-only
harden tmr 1 tmr
((${#VARIANTS[@]})) || { echo "hardening_overhead: --variants '$WANTED' names no known variant" >&2; exit 2; }

echo "== ftcnn bench-variants ($DEVICE, batch $BATCH, $WARMUP warm-up and $REPEATS timed rounds)" >&2
"$FTCNN" bench-variants --model "$MODEL" "${VARIANTS[@]}" --data "$DATA" --device "$DEVICE" --batch "$BATCH" \
  --warmup "$WARMUP" --repeats "$REPEATS" --threads "$THREADS" ${IMAGES:+--images "$IMAGES"} --json \
  >"$OUT/variants.json"
python3 - "$OUT/variants.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['device_name']}, {r['images']} images, batch {r['batch']}, {r['repeats']} timed rounds, ftcnn {r['version']}")
print(f"{'model':<24} {'median ms':>10} {'time x':>7} {'paired x':>8} {'params x':>8} {'MACs x':>7} {'top-1':>7} {'differs':>7}")
for m in r["models"]:
    print(f"{m['name']:<24} {m['ms']['median']:>10.1f} {m['time_ratio']:>7.3f} {m['time_ratio_paired_median']:>8.3f} "
          f"{m['parameters_ratio']:>8.3f} {m['macs_ratio']:>7.3f} {100 * m['accuracy']:>6.2f}% {m['top1_differs_from_base']:>7}")
PY
echo "results: $OUT/variants.json" >&2
