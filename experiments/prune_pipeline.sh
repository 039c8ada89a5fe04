#!/usr/bin/env bash
# Prune -> fine-tune -> harden -> campaign -> time: one row of the paper's Table II and its Figs. 6-7
# (docs/pruning.md, "Scripts: the Fig. 5 sweep and the Table II pipeline"):
#
#   experiments/prune_pipeline.sh --model M --data DIR [--out DIR] [--conv-ratio 0.05] [--fc-ratio 0.8]
#       [--importance exact|batch|l1|random] [--scope layer|global|global-l2|global-none] [--split train|test]
#       [--vuln-method exact|batch] [--vuln-images 256] [--profile-images N] [--harden-ratio 0.15]
#       [--finetune-epochs 10] [--finetune-lr 0.001] [--pack P.npz] [--cache C.npz] [--python PY] [--device cpu|cuda]
#       [--eval-limit N] [--ber 1e-7,1e-6,1e-5] [--reps 100] [--count paper|binomial] [--campaign-images N]
#       [--bench-images N] [--bench-batch 1000] [--bench-repeats 5] [--bench-warmup 2] [--threads N]
#       [--seed 1] [--ftcnn build/ftcnn]
#
# Steps: (1) Eq. (1) scores of M (ftcnn vuln, --split, --vuln-images); (2) ftcnn prune M at the given ratios
# (scores from step 1 when --importance is the --vuln-method, else prune's own --importance); (3) fine-tune
# the pruned model with ftcnn.train --finetune on the JPEG pack (--finetune-epochs 0 skips it);
# (4) Eq. (1) recomputed on the pruned model; (5) detection intervals of both (ftcnn profile, --split,
# --profile-images, default the whole split); (6) ftcnn harden --mode edac --ratio 0.15 of M and of the
# pruned model, ranked by their own scores; (7) ftcnn campaign on plain, hardened, pruned, pruned+hardened;
# (8) ftcnn bench-variants with M as the baseline and the three others as variants; (9) report.
# Accuracies (ftcnn eval) are on the test split (--eval-limit: its first N images).
# Writes OUT/table2.md + .json (the Table II row), OUT/fig6_7.md (+ fig6_7.svg with matplotlib), and every
# step's JSON. Rerunning the same command on OUT skips finished steps (campaigns resume); other settings on
# the same OUT are refused. --split defaults to train when DIR has it, else test (a note says so).
# Smoke test (about 20 s on 2 cores; test/test_pruning_scripts.cpp runs it):
#   experiments/prune_pipeline.sh --model data/default/small_cifar10.h5 --data data/default/cifar10-test-slice \
#     --split test --vuln-images 32 --profile-images 500 --finetune-epochs 0 --eval-limit 500 --reps 3 \
#     --campaign-images 100 --bench-images 500 --bench-batch 250 --bench-repeats 2 --bench-warmup 1 --out /tmp/pp
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

MODEL="" DATA="" OUT="" CONV=0.05 FC=0.8 IMPORTANCE=exact SCOPE=layer SPLIT="" VULN_METHOD=exact VULN_IMAGES=256
PROFILE_IMAGES="" HARDEN_RATIO=0.15 FT_EPOCHS=10 FT_LR=0.001 PACK="$ROOT/../shared/data/cifar10/cifar10-jpeg.npz"
CACHE="" PY=/usr/bin/python3 DEVICE=cpu EVAL_LIMIT="" BER=1e-7,1e-6,1e-5 REPS=100 COUNT=paper CAMPAIGN_IMAGES=""
BENCH_IMAGES="" BENCH_BATCH=1000 BENCH_REPEATS=5 BENCH_WARMUP=2 THREADS=0 SEED=1 FTCNN="$ROOT/build/ftcnn"
[[ -x $PY ]] || PY=python3
usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "prune_pipeline: $*" >&2; exit 1; }
while (($#)); do
  case "$1" in
    -h | --help) usage 0 ;;
    --model) MODEL=${2-} ;;
    --data) DATA=${2-} ;;
    --out) OUT=${2-} ;;
    --conv-ratio) CONV=${2-} ;;
    --fc-ratio) FC=${2-} ;;
    --importance) IMPORTANCE=${2-} ;;
    --scope) SCOPE=${2-} ;;
    --split) SPLIT=${2-} ;;
    --vuln-method) VULN_METHOD=${2-} ;;
    --vuln-images) VULN_IMAGES=${2-} ;;
    --profile-images) PROFILE_IMAGES=${2-} ;;
    --harden-ratio) HARDEN_RATIO=${2-} ;;
    --finetune-epochs) FT_EPOCHS=${2-} ;;
    --finetune-lr) FT_LR=${2-} ;;
    --pack) PACK=${2-} ;;
    --cache) CACHE=${2-} ;;
    --python) PY=${2-} ;;
    --device) DEVICE=${2-} ;;
    --eval-limit) EVAL_LIMIT=${2-} ;;
    --ber) BER=${2-} ;;
    --reps) REPS=${2-} ;;
    --count) COUNT=${2-} ;;
    --campaign-images) CAMPAIGN_IMAGES=${2-} ;;
    --bench-images) BENCH_IMAGES=${2-} ;;
    --bench-batch) BENCH_BATCH=${2-} ;;
    --bench-repeats) BENCH_REPEATS=${2-} ;;
    --bench-warmup) BENCH_WARMUP=${2-} ;;
    --threads) THREADS=${2-} ;;
    --seed) SEED=${2-} ;;
    --ftcnn) FTCNN=${2-} ;;
    *) echo "prune_pipeline: unknown option '$1'" >&2; usage 2 ;;
  esac
  (($# >= 2)) || die "$1 needs a value"
  shift 2
done

# ---- input checks: one line each, before anything runs
[[ -n $MODEL && -n $DATA ]] || { echo "prune_pipeline: --model and --data are required" >&2; usage 2; }
[[ -f $MODEL ]] || die "--model $MODEL: no such file"
[[ -d $DATA ]] || die "--data $DATA: not a directory"
[[ -f $DATA/test_batch.bin || -f $DATA/test.bin ]] || die "--data $DATA: no CIFAR test split (test_batch.bin or test.bin)"
[[ -x $FTCNN ]] || die "--ftcnn $FTCNN: not an executable (build with scripts/build.sh)"
[[ $("$FTCNN" --help 2>/dev/null) == ftcnn* ]] || die "--ftcnn $FTCNN: not an ftcnn binary"
for sub in prune bench-variants; do
  "$FTCNN" "$sub" --help >/dev/null 2>&1 || die "$FTCNN has no '$sub' command (try --ftcnn build-prune/ftcnn)"
done
number_in() {  # number_in VALUE LOW HIGH_OP HIGH: a plain decimal number with LOW <= VALUE (<|<=) HIGH
  [[ $1 =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]] && awk -v r="$1" "BEGIN{exit !(r >= $2 && r $3 $4)}"
}
positive() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 > 0)); }
number_in "$CONV" 0 '<' 1 || die "--conv-ratio '$CONV': not a number in [0, 1)"
number_in "$FC" 0 '<' 1 || die "--fc-ratio '$FC': not a number in [0, 1)"
number_in "$HARDEN_RATIO" 0 '<=' 1 || die "--harden-ratio '$HARDEN_RATIO': not a number in [0, 1]"
number_in "$FT_LR" 0 '<' 1e9 || die "--finetune-lr '$FT_LR': not a positive number"
case $IMPORTANCE in exact | batch | l1 | random) ;; *) die "--importance '$IMPORTANCE': choose exact, batch, l1 or random" ;; esac
case $VULN_METHOD in exact | batch) ;; *) die "--vuln-method '$VULN_METHOD': choose exact or batch" ;; esac
# global: prune's global scope, scores divided by the layer mean; global-l2 / global-none: by the L2 norm / raw.
case $SCOPE in
  layer) SCOPE_FLAGS=(--scope layer) ;;
  global) SCOPE_FLAGS=(--scope global --normalize mean) ;;
  global-l2) SCOPE_FLAGS=(--scope global --normalize l2) ;;
  global-none) SCOPE_FLAGS=(--scope global --normalize none) ;;
  *) die "--scope '$SCOPE': choose layer, global, global-l2 or global-none" ;;
esac
case $DEVICE in cpu | cuda) ;; *) die "--device '$DEVICE': choose cpu or cuda" ;; esac
case $COUNT in paper | binomial) ;; *) die "--count '$COUNT': choose paper or binomial" ;; esac
[[ $FT_EPOCHS =~ ^[0-9]+$ ]] || die "--finetune-epochs '$FT_EPOCHS': not a non-negative integer (0 skips fine-tuning)"
for flag in vuln-images:$VULN_IMAGES reps:$REPS bench-batch:$BENCH_BATCH bench-repeats:$BENCH_REPEATS \
  profile-images:${PROFILE_IMAGES:-1} eval-limit:${EVAL_LIMIT:-1} campaign-images:${CAMPAIGN_IMAGES:-1} \
  bench-images:${BENCH_IMAGES:-1}; do
  positive "${flag#*:}" || die "--${flag%%:*} '${flag#*:}': not a positive integer"
done
for flag in bench-warmup:$BENCH_WARMUP threads:$THREADS seed:$SEED; do
  [[ ${flag#*:} =~ ^[0-9]+$ ]] || die "--${flag%%:*} '${flag#*:}': not a non-negative integer"
done
IFS=, read -ra BERS <<<"$BER"
((${#BERS[@]})) || die "--ber: empty list"
for b in "${BERS[@]}"; do
  number_in "$b" 0 '<=' 1 && awk -v r="$b" 'BEGIN{exit !(r > 0)}' || die "--ber: '$b' is not a rate in (0, 1]"
done
HAS_TRAIN=0
compgen -G "$DATA/data_batch_*.bin" >/dev/null || [[ -f $DATA/train.bin ]] && HAS_TRAIN=1
if [[ -z $SPLIT ]]; then
  SPLIT="test"; ((HAS_TRAIN)) && SPLIT="train"
  [[ $SPLIT == test ]] && echo "note: $DATA has no training split: scores and intervals use the test split" >&2
fi
case $SPLIT in train) ((HAS_TRAIN)) || die "--split train: $DATA has no training split (give --split test)" ;;
  test) ;; *) die "--split $SPLIT: choose train or test" ;; esac
if ((FT_EPOCHS > 0)); then
  [[ -f $PACK ]] || die "--pack $PACK: no such file (fine-tuning trains on the JPEG pack; --finetune-epochs 0 skips it)"
  "$PY" -c 'import torch, h5py' 2>/dev/null || die "--python $PY: cannot import torch and h5py (fine-tuning needs them; scripts/install_deps.sh --python)"
fi
OUT=${OUT:-out/prune_pipeline/$(basename "$MODEL" .h5)_c${CONV}_f${FC}}
mkdir -p "$OUT/campaign"
OUT=$(cd "$OUT" && pwd)
MODEL=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")
DATA=$(cd "$DATA" && pwd)
VERSION=$("$FTCNN" --version)

# ---- configuration: recorded, and compared on a rerun
CONFIG=$(MODEL="$MODEL" DATA="$DATA" CONV="$CONV" FC="$FC" IMPORTANCE="$IMPORTANCE" SCOPE="$SCOPE" SPLIT="$SPLIT" \
  VULN_METHOD="$VULN_METHOD" VULN_IMAGES="$VULN_IMAGES" PROFILE_IMAGES="$PROFILE_IMAGES" HARDEN_RATIO="$HARDEN_RATIO" \
  FT_EPOCHS="$FT_EPOCHS" FT_LR="$FT_LR" PACK="$PACK" DEVICE="$DEVICE" EVAL_LIMIT="$EVAL_LIMIT" BER="$BER" REPS="$REPS" \
  COUNT="$COUNT" CAMPAIGN_IMAGES="$CAMPAIGN_IMAGES" BENCH_IMAGES="$BENCH_IMAGES" BENCH_BATCH="$BENCH_BATCH" \
  BENCH_REPEATS="$BENCH_REPEATS" BENCH_WARMUP="$BENCH_WARMUP" THREADS="$THREADS" SEED="$SEED" python3 - <<'PY'
import json, os
e = os.environ
num = lambda k: int(e[k]) if e[k] else None
ft = int(e["FT_EPOCHS"])
print(json.dumps({
    "script": "experiments/prune_pipeline.sh", "model": e["MODEL"], "data": e["DATA"], "conv_ratio": float(e["CONV"]),
    "fc_ratio": float(e["FC"]), "importance": e["IMPORTANCE"], "scope": e["SCOPE"], "split": e["SPLIT"],
    "vuln_method": e["VULN_METHOD"], "vuln_images": int(e["VULN_IMAGES"]), "profile_images": num("PROFILE_IMAGES"),
    "harden_ratio": float(e["HARDEN_RATIO"]), "harden_mode": "edac", "finetune_epochs": ft,
    "finetune_lr": float(e["FT_LR"]) if ft else None, "pack": e["PACK"] if ft else None, "device": e["DEVICE"],
    "eval_limit": num("EVAL_LIMIT"), "ber": [float(b) for b in e["BER"].split(",")], "reps": int(e["REPS"]),
    "count": e["COUNT"], "campaign_images": num("CAMPAIGN_IMAGES"), "bench_images": num("BENCH_IMAGES"),
    "bench_batch": int(e["BENCH_BATCH"]), "bench_repeats": int(e["BENCH_REPEATS"]),
    "bench_warmup": int(e["BENCH_WARMUP"]), "threads": int(e["THREADS"]), "seed": int(e["SEED"])},
    indent=2, sort_keys=True))
PY
)
if [[ -f $OUT/config.json ]]; then
  [[ "$(cat "$OUT/config.json")" == "$CONFIG" ]] ||
    die "$OUT holds a run with other settings (diff it with $OUT/config.json): use another --out or delete it"
  echo "== resuming in $OUT (finished steps are skipped)" >&2
else
  printf '%s\n' "$CONFIG" >"$OUT/config.json"
fi
printf '%s\n' "$VERSION" >>"$OUT/ftcnn_versions.txt"

# ---- helpers: `step FILE cmd...` runs cmd with stdout to FILE unless FILE exists (a finished step)
LOG=$OUT/commands.log
TH=(--threads "$THREADS")
step() {
  local file=$1; shift
  if [[ -s $OUT/$file ]]; then echo "   (done: $file)" >&2; return; fi
  printf '%q ' "$@" | sed 's/ $//' >>"$LOG"; echo >>"$LOG"
  echo "   \$ $*" >&2
  "$@" >"$OUT/$file.tmp" || { rm -f "$OUT/$file.tmp"; die "step failed: $* (see its message above)"; }
  [[ $file != *.json || -s $OUT/$file.tmp ]] || { rm -f "$OUT/$file.tmp"; die "step printed no JSON: $*"; }
  mv "$OUT/$file.tmp" "$OUT/$file"
}
evaluate() {  # evaluate FILE MODEL
  step "$1" "$FTCNN" eval --model "$2" --data "$DATA" --split test --device "$DEVICE" "${TH[@]}" \
    ${EVAL_LIMIT:+--limit "$EVAL_LIMIT"} --json
}
vuln() {  # vuln FILE.json MODEL OUT.h5
  step "$1" "$FTCNN" vuln --model "$2" --data "$DATA" --split "$SPLIT" --images "$VULN_IMAGES" --evenly-spaced \
    --method "$VULN_METHOD" --device "$DEVICE" "${TH[@]}" --out "$3" --json
}

echo "== 0. unpruned model: info and accuracy" >&2
step info_base.json "$FTCNN" info --model "$MODEL" --json
evaluate eval_base.json "$MODEL"

echo "== 1. Eq. (1) scores ($VULN_METHOD, $VULN_IMAGES $SPLIT images) of the unpruned model" >&2
vuln vuln_base.json "$MODEL" "$OUT/vuln_base.h5"

echo "== 2. prune: conv $CONV, FC $FC, importance $IMPORTANCE, $SCOPE scope" >&2
if [[ $IMPORTANCE == "$VULN_METHOD" ]]; then SRC=(--scores "$OUT/vuln_base.h5")
elif [[ $IMPORTANCE == exact || $IMPORTANCE == batch ]]; then
  SRC=(--importance "$IMPORTANCE" --data "$DATA" --split "$SPLIT" --images "$VULN_IMAGES" --evenly-spaced)
else SRC=(--importance "$IMPORTANCE" --seed "$SEED"); fi
step prune.json "$FTCNN" prune --model "$MODEL" --conv-ratio "$CONV" --fc-ratio "$FC" "${SRC[@]}" "${SCOPE_FLAGS[@]}" \
  "${TH[@]}" --out "$OUT/pruned.h5" --json
evaluate eval_pruned.json "$OUT/pruned.h5"
PRUNED=$OUT/pruned.h5

if ((FT_EPOCHS > 0)); then
  echo "== 3. fine-tune: $FT_EPOCHS epochs, lr $FT_LR, on $DEVICE" >&2
  step finetune.log env PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m ftcnn.train \
    --finetune "$OUT/pruned.h5" --pack "$PACK" --epochs "$FT_EPOCHS" --lr "$FT_LR" --device "$DEVICE" --seed "$SEED" \
    --cache "${CACHE:-$OUT/pack_cache.npz}" --out "$OUT/pruned_ft.h5"
  PRUNED=$OUT/pruned_ft.h5
  evaluate eval_pruned_ft.json "$PRUNED"
else
  echo "== 3. fine-tuning skipped (--finetune-epochs 0)" >&2
fi
step info_pruned.json "$FTCNN" info --model "$PRUNED" --json

echo "== 4. Eq. (1) recomputed on the pruned model" >&2
vuln vuln_pruned.json "$PRUNED" "$OUT/vuln_pruned.h5"

echo "== 5. detection intervals ($SPLIT split${PROFILE_IMAGES:+, first $PROFILE_IMAGES images})" >&2
for m in base pruned; do
  src=$MODEL; [[ $m == pruned ]] && src=$PRUNED
  step "profile_$m.json" "$FTCNN" profile --model "$src" --data "$DATA" --split "$SPLIT" \
    ${PROFILE_IMAGES:+--images "$PROFILE_IMAGES"} "${TH[@]}" --out "$OUT/intervals_$m.h5" --json
done

echo "== 6. harden $HARDEN_RATIO (edac), unpruned and pruned" >&2
step harden_base.json "$FTCNN" harden --model "$MODEL" --intervals "$OUT/intervals_base.h5" --ratio "$HARDEN_RATIO" \
  --mode edac --ranking "$OUT/vuln_base.h5" --out "$OUT/hardened.h5" --json
step harden_pruned.json "$FTCNN" harden --model "$PRUNED" --intervals "$OUT/intervals_pruned.h5" \
  --ratio "$HARDEN_RATIO" --mode edac --ranking "$OUT/vuln_pruned.h5" --out "$OUT/pruned_hardened.h5" --json
evaluate eval_hardened.json "$OUT/hardened.h5"
evaluate eval_pruned_hardened.json "$OUT/pruned_hardened.h5"

echo "== 7. campaigns: BER $BER, $REPS repetitions, seed $SEED, count $COUNT" >&2
for v in plain hardened pruned pruned_hardened; do
  case $v in plain) src=$MODEL ;; pruned) src=$PRUNED ;; *) src=$OUT/$v.h5 ;; esac
  step "campaign/$v.json" "$FTCNN" campaign --model "$src" --data "$DATA" --ber "$BER" --reps "$REPS" --seed "$SEED" \
    --count "$COUNT" ${CAMPAIGN_IMAGES:+--images "$CAMPAIGN_IMAGES"} --device "$DEVICE" "${TH[@]}" \
    --out "$OUT/campaign/$v" --json
done

echo "== 8. bench-variants ($DEVICE, batch $BENCH_BATCH, $BENCH_WARMUP warm-up and $BENCH_REPEATS timed rounds)" >&2
step bench.json "$FTCNN" bench-variants --model "$MODEL" --variant "$OUT/hardened.h5" --variant "$PRUNED" \
  --variant "$OUT/pruned_hardened.h5" --data "$DATA" --device "$DEVICE" --batch "$BENCH_BATCH" \
  --warmup "$BENCH_WARMUP" --repeats "$BENCH_REPEATS" ${BENCH_IMAGES:+--images "$BENCH_IMAGES"} "${TH[@]}" --json

echo "== 9. report" >&2
REPORT_PY=python3
"$PY" -c 'import matplotlib' 2>/dev/null && REPORT_PY=$PY
"$REPORT_PY" - "$OUT" "$PRUNED" <<'PY'
import json, sys
from pathlib import Path

out, pruned = Path(sys.argv[1]), sys.argv[2]
load = lambda name: json.loads((out / name).read_text())
cfg = load("config.json")
version = load("bench.json")["version"]
versions = sorted(set((out / "ftcnn_versions.txt").read_text().split()))
info_base, info_pruned, prune = load("info_base.json"), load("info_pruned.json"), load("prune.json")
acc = {k: load(f"eval_{k}.json")["accuracy"] for k in ("base", "pruned", "hardened", "pruned_hardened")}
ft = (out / "eval_pruned_ft.json").exists()
acc_ft = load("eval_pruned_ft.json")["accuracy"] if ft else None
eval_images = load("eval_base.json")["images"]
bench = load("bench.json")
by_path = {m["model"]: m for m in bench["models"]}
time_of = {"plain": bench["models"][0], "hardened": by_path[str(out / "hardened.h5")],
           "pruned": by_path[pruned], "pruned_hardened": by_path[str(out / "pruned_hardened.h5")]}
camp = {v: json.loads((out / "campaign" / v / "summary.json").read_text())
        for v in ("plain", "hardened", "pruned", "pruned_hardened")}
PAPER = {"alexnet": ("AlexNet", 0.05, 0.80, 72.38, 0.1615, 0.4851, 0.888),
         "vgg11": ("VGG-11", 0.04, 0.35, 91.96, 0.847, 0.9059, 0.987),
         "vgg16": ("VGG-16", 0.01, 0.15, 72.4, 0.826, 0.9665, 0.998)}
arch = info_base.get("arch")
row = {
    "model": cfg["model"], "arch": arch, "conv_ratio": cfg["conv_ratio"], "fc_ratio": cfg["fc_ratio"],
    "importance": cfg["importance"], "scope": cfg["scope"], "eval_images": eval_images,
    "accuracy_unpruned": acc["base"], "accuracy_pruned": acc["pruned"], "accuracy_finetuned": acc_ft,
    "finetune_epochs": cfg["finetune_epochs"],
    "parameters": [info_base["parameters"], info_pruned["parameters"]],
    "params_ratio": info_pruned["parameters"] / info_base["parameters"],
    "macs": [info_base["macs"], info_pruned["macs"]], "macs_ratio": info_pruned["macs"] / info_base["macs"],
    "time_ratio": time_of["pruned"]["time_ratio"],
    "time_ratio_paired_median": time_of["pruned"]["time_ratio_paired_median"],
    "time_device": bench["device_name"], "time_images": bench["images"], "time_batch": bench["batch"],
    "load_average_1min": bench.get("load_average_1min"),
}
paper = PAPER.get(arch)
doc = {"table2_row": row, "paper_row": dict(zip(("model", "conv_ratio", "fc_ratio", "accuracy_percent",
       "params_ratio", "macs_ratio", "time_ratio"), paper)) if paper else None,
       "config": cfg, "seed": cfg["seed"], "ftcnn_version": version, "ftcnn_versions_used": versions}
(out / "table2.json").write_text(json.dumps(doc, indent=2) + "\n")

pct = lambda a: "" if a is None else f"{100 * a:.2f} %"
acc_cell = pct(acc["pruned"]) + (f" -> {pct(acc_ft)} ({cfg['finetune_epochs']} ep.)" if ft else "")
head = (f"ftcnn {version}; seed {cfg['seed']}; model `{cfg['model']}`; data `{cfg['data']}`; scores and intervals "
        f"on the {cfg['split']} split ({cfg['vuln_method']}, {cfg['vuln_images']} images); accuracy on "
        f"{eval_images} test images; commands in `commands.log`.\n\nConfiguration (`config.json`): `"
        + json.dumps(cfg, sort_keys=True) + "`")
lines = [f"# Table II row: {Path(cfg['model']).name}, conv {cfg['conv_ratio']:g} / FC {cfg['fc_ratio']:g}", "", head, "",
         "| model | conv ratio | FC ratio | accuracy after pruning (-> fine-tuned) | params ratio | MACs ratio | "
         "time ratio pruned / baseline (paired median) |", "|---|---|---|---|---|---|---|",
         f"| {Path(cfg['model']).name} ({cfg['importance']}, {cfg['scope']}) | {cfg['conv_ratio']:g} | "
         f"{cfg['fc_ratio']:g} | {acc_cell} | {row['params_ratio']:.4f} | {row['macs_ratio']:.4f} | "
         f"{row['time_ratio']:.3f} ({row['time_ratio_paired_median']:.3f}) |"]
if paper:
    lines.append(f"| paper Table II, {paper[0]} | {paper[1]:g} | {paper[2]:g} | {paper[3]} % (after fine-tuning) | "
                 f"{paper[4]} | {paper[5]} | {paper[6]} |")
lines += ["", f"Unpruned accuracy {pct(acc['base'])}. Time: `ftcnn bench-variants` on {bench['device_name']}, "
          f"{bench['images']} images, batch {bench['batch']}, {bench['repeats']} timed rounds, load average "
          f"{bench.get('load_average_1min', 0):.2f} at the start."]
(out / "table2.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))

# Figs. 6-7: accuracy drop against BER (hardened vs pruned + hardened), and the time ratios.
names = {"plain": "plain", "hardened": f"hardened {100 * cfg['harden_ratio']:g} %", "pruned": "pruned",
         "pruned_hardened": f"pruned + hardened {100 * cfg['harden_ratio']:g} %"}
f = [f"# Figs. 6-7: hardened vs pruned + hardened, {Path(cfg['model']).name}", "", head, "",
     f"Campaigns: {cfg['reps']} repetitions per BER, count `{cfg['count']}`, seed {cfg['seed']}, "
     f"{camp['plain']['campaign']['images']} test images, device {camp['plain']['campaign']['device_name']}. Accuracy drop = golden accuracy - faulty accuracy, percentage points, mean over "
     "repetitions [95 % CI].", "",
     "| BER | " + " | ".join(names[v] for v in camp) + " |", "|---|" + "---|" * len(camp),
     "| golden accuracy | " + " | ".join(pct(camp[v]["golden_accuracy"]) for v in camp) + " |"]
bers = [p["ber"] for p in camp["plain"]["per_ber"]]
drops = {v: {p["ber"]: p["accuracy_drop"] for p in camp[v]["per_ber"]} for v in camp}
dues = {v: {p["ber"]: p["due_rate"] for p in camp[v]["per_ber"]} for v in camp}
for b in bers:
    f.append(f"| {b:g} | " + " | ".join(
        f"{100 * drops[v][b]['mean']:.2f} [{100 * drops[v][b]['ci95'][0]:.2f}, {100 * drops[v][b]['ci95'][1]:.2f}]"
        for v in camp) + " |")
f += ["", "DUE rate (share of image trials with a NaN or Inf logit):", "",
      "| BER | " + " | ".join(names[v] for v in camp) + " |", "|---|" + "---|" * len(camp)]
for b in bers:
    f.append(f"| {b:g} | " + " | ".join(f"{100 * dues[v][b]:.2f} %" for v in camp) + " |")
f += ["", f"Execution time (`ftcnn bench-variants`, {bench['device_name']}, {bench['images']} images, batch "
      f"{bench['batch']}, median of {bench['repeats']} interleaved rounds, load average "
      f"{bench.get('load_average_1min', 0):.2f}):", "",
      "| model | median ms | time / plain | paired median | params / plain | MACs / plain | top-1 | top-1 differs from plain |",
      "|---|---|---|---|---|---|---|---|"]
for v, m in time_of.items():
    f.append(f"| {names[v]} | {m['ms']['median']:.1f} | {m['time_ratio']:.3f} | {m['time_ratio_paired_median']:.3f} | "
             f"{m['parameters_ratio']:.4f} | {m['macs_ratio']:.4f} | {pct(m['accuracy'])} | {m['top1_differs_from_base']} |")
th, tph = time_of["hardened"]["ms"]["median"], time_of["pruned_hardened"]["ms"]["median"]
def speed(ratio):
    return f"x{ratio:.3f}, {100 * abs(1 - ratio):.1f} % {'faster' if ratio < 1 else 'slower'}"
f += ["", f"- pruned + hardened / hardened: time {speed(tph / th)} (paper, AlexNet: up to 24 % faster).",
      f"- pruned + hardened / plain: time {speed(time_of['pruned_hardened']['time_ratio'])} "
      "(paper, AlexNet: 6.06 % faster).",
      f"- hardened / plain: time {speed(time_of['hardened']['time_ratio'])} (paper: 6.7 to 12 % slower at 15 %, "
      "RTX 3090).",
      f"- pruned / plain: time {speed(time_of['pruned']['time_ratio'])} (paper Table II: AlexNet 0.888, VGG-11 0.987, "
      "VGG-16 0.998)."]
comparison = {"ber": bers, "accuracy_drop": {v: [drops[v][b] for b in bers] for v in camp},
              "golden_accuracy": {v: camp[v]["golden_accuracy"] for v in camp},
              "time_ms_median": {v: m["ms"]["median"] for v, m in time_of.items()},
              "time_ratio_to_plain": {v: m["time_ratio"] for v, m in time_of.items()},
              "pruned_hardened_over_hardened_time": tph / th}
doc["fig6_7"] = comparison
(out / "table2.json").write_text(json.dumps(doc, indent=2) + "\n")
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for v, style in (("plain", "k:"), ("hardened", "b-o"), ("pruned", "g:"), ("pruned_hardened", "r-s")):
        a.errorbar(bers, [100 * drops[v][x]["mean"] for x in bers],
                   yerr=[[100 * (drops[v][x]["mean"] - drops[v][x]["ci95"][0]) for x in bers],
                         [100 * (drops[v][x]["ci95"][1] - drops[v][x]["mean"]) for x in bers]],
                   fmt=style, capsize=3, label=names[v])
    a.set_xscale("log"); a.set_xlabel("bit error rate"); a.set_ylabel("accuracy drop, percentage points")
    a.legend(fontsize=8); a.grid(alpha=0.3); a.set_title("(Fig. 6) accuracy drop")
    b.bar(range(4), [time_of[v]["time_ratio"] for v in time_of], color=["k", "b", "g", "r"])
    b.set_xticks(range(4), [names[v] for v in time_of], rotation=15, fontsize=8)
    b.axhline(1, color="gray", lw=0.8); b.set_ylabel("execution time / plain"); b.set_title("(Fig. 7) time ratio")
    fig.suptitle(f"{Path(cfg['model']).name}, conv {cfg['conv_ratio']:g} / FC {cfg['fc_ratio']:g}, ftcnn {version}, "
                 f"seed {cfg['seed']}", fontsize=9)
    fig.tight_layout(); fig.savefig(out / "fig6_7.svg"); plt.close(fig)
    f += ["", "Plot: `fig6_7.svg`."]
except ImportError:
    f += ["", "(no plot: matplotlib is missing)"]
(out / "fig6_7.md").write_text("\n".join(f) + "\n")
print("\n" + "\n".join(f))
PY
echo "results: $OUT/table2.md, $OUT/table2.json, $OUT/fig6_7.md" >&2
