#!/usr/bin/env bash
# Every user-visible output of the bundled model, as test_output_identity.cpp compares them: eval logits,
# two campaigns (plain and hardened), Eq. (1) scores (exact and batch), intervals, the three hardenings and
# two prunings (their JSON reports and `info`), and the logits of the hardened and pruned models.
#
#   test/make_output_fixtures.sh FTCNN OUT
#
# Run from the repository root (paths in the outputs are relative to it). test/fixtures/outputs_small/ was
# made with the ftcnn of commit 563f1c8, before the CUDA-readiness and engine reshaping work: it is the
# reference those changes must reproduce bit for bit. Do not regenerate it to make a test pass. Its campaign
# outputs are of the previous layout (summary.csv with "# key: value" lines, runs.jsonl with a header line);
# the test compares today's layout (configuration columns, campaign.json) with them value for value.
set -euo pipefail
FT=$1 OUT=$2
MODEL=data/default/small_cifar10.h5
DATA=data/default/cifar10-test-slice
T=(--threads 2)
mkdir -p "$OUT"
"$FT" eval --model $MODEL --data $DATA --logits "$OUT/logits.h5" "${T[@]}" >/dev/null
"$FT" campaign --model $MODEL --data $DATA --images 200 --ber 1e-6,1e-5 --reps 4 --seed 3 --count binomial \
  --log-faults --out "$OUT/campaign" "${T[@]}" >/dev/null
"$FT" vuln --model $MODEL --data $DATA --split test --images 48 --evenly-spaced --method exact --out "$OUT/vuln_exact.h5" \
  "${T[@]}" >/dev/null
"$FT" vuln --model $MODEL --data $DATA --split test --images 48 --evenly-spaced --method batch --batch 24 \
  --out "$OUT/vuln_batch.h5" "${T[@]}" >/dev/null
"$FT" profile --model $MODEL --data $DATA --split test --images 300 --out "$OUT/intervals.h5" "${T[@]}" >/dev/null
for mode in edac dup-only tmr; do
  extra=()
  [[ $mode == edac ]] && extra=(--intervals "$OUT/intervals.h5")
  "$FT" harden --model $MODEL --ratio 0.15 --mode $mode "${extra[@]}" --ranking "$OUT/vuln_exact.h5" \
    --out "$OUT/hardened_$mode.h5" --json >"$OUT/harden_$mode.json"
  "$FT" info --model "$OUT/hardened_$mode.h5" --json >"$OUT/info_hardened_$mode.json"
  "$FT" eval --model "$OUT/hardened_$mode.h5" --data $DATA --logits "$OUT/logits_hardened_$mode.h5" "${T[@]}" \
    >/dev/null
done
"$FT" prune --model $MODEL --conv-ratio 0.3 --fc-ratio 0.5 --scores "$OUT/vuln_exact.h5" --out "$OUT/pruned.h5" \
  --json >"$OUT/prune.json"
"$FT" prune --model $MODEL --conv-ratio 0.2 --fc-ratio 0.4 --importance l1 --scope global \
  --out "$OUT/pruned_global.h5" --json >"$OUT/prune_global.json"
"$FT" info --model "$OUT/pruned.h5" --json >"$OUT/info_pruned.json"
"$FT" eval --model "$OUT/pruned.h5" --data $DATA --logits "$OUT/logits_pruned.h5" "${T[@]}" >/dev/null
"$FT" campaign --model "$OUT/hardened_edac.h5" --data $DATA --images 200 --ber 1e-5 --reps 3 --seed 5 \
  --out "$OUT/campaign_hardened" "${T[@]}" >/dev/null
rm -f "$OUT"/hardened_*.h5 "$OUT"/pruned*.h5 "$OUT"/campaign*/summary.json "$OUT"/campaign*/accuracy_drop.svg
