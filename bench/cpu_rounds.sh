#!/usr/bin/env bash
# Interleaved CPU timing of two ftcnn builds and PyTorch on the same models and images (docs/performance.md,
# "oneDNN convolutions"): per round, per model, each engine in an order rotated by one each round, so that
# a drift of the shared machine falls on every engine alike. Prints one JSON line per run and, at the end,
# the median over the rounds of each engine's per-run median.
#   bench/cpu_rounds.sh BEFORE_FTCNN AFTER_FTCNN DATA OUT_DIR ROUNDS IMAGES MODEL...
# PyTorch: Debian's /usr/bin/python3 with bench/pytorch_reference.py (PYTHONPATH=python).
set -euo pipefail
before=$1 after=$2 data=$3 out=$4 rounds=$5 images=$6
shift 6
mkdir -p "$out"
common=(--data "$data" --images "$images" --batch 1000 --warmup 1 --repeats 3 --threads 2 --json)
run() {  # engine model round
  local engine=$1 model=$2 round=$3 file
  file="$out/$(basename "$model" .h5).$engine.$round.json"
  case $engine in
    before) "$before" bench --model "$model" "${common[@]}" >"$file" ;;
    after) "$after" bench --model "$model" "${common[@]}" >"$file" ;;
    pytorch) PYTHONPATH=python /usr/bin/python3 bench/pytorch_reference.py --model "$model" --device cpu \
               "${common[@]}" >"$file" ;;
  esac
  echo "$engine $(basename "$model") round $round: $(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); \
i=d['inference'][0]; print(round(i['ms']['median'], 1), 'ms', i.get('accuracy'))" "$file")"
}
engines=(before after pytorch)
for round in $(seq 1 "$rounds"); do
  for model in "$@"; do
    for k in 0 1 2; do run "${engines[$(((k + round) % 3))]}" "$model" "$round"; done
  done
done
python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
out = sys.argv[1]
rows = {}
for f in glob.glob(os.path.join(out, "*.json")):
    model, engine, _ = os.path.basename(f).rsplit(".", 3)[:3]
    d = json.load(open(f))
    rows.setdefault(model, {}).setdefault(engine, []).append(d["inference"][0]["ms"]["median"])
for model, e in sorted(rows.items()):
    med = {k: statistics.median(v) for k, v in e.items()}
    print(model, {k: [round(x) for x in sorted(v)] for k, v in e.items()},
          "medians", {k: round(v) for k, v in med.items()},
          "after/before %.3f" % (med["after"] / med["before"]), "after/pytorch %.3f" % (med["after"] / med["pytorch"]),
          "before/pytorch %.3f" % (med["before"] / med["pytorch"]))
PY
