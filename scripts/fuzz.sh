#!/usr/bin/env bash
# Fuzzes one reader of untrusted input with libFuzzer, under ASan + UBSan (docs/robustness.md):
#   scripts/fuzz.sh TARGET SECONDS      TARGET: model_json model_file interval_file ranking_file
#                                               vulnerability_file cifar campaign_log fault_list flags
#   scripts/fuzz.sh all SECONDS         every target in turn, SECONDS each
# Builds build-fuzz/ with clang (scripts/install_deps.sh --fuzz installs it), seeds the corpus from the test
# fixtures (fuzz/make_seeds.py), keeps what it learns in build-fuzz/corpus/TARGET for the next run, and saves
# a crashing input in build-fuzz/findings/TARGET/. Ends with one line: executions, coverage, findings.
# Exit status: 0 no finding, 1 a crash, hang, leak or sanitizer report (libFuzzer's own exit status).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(model_json model_file interval_file ranking_file vulnerability_file cifar campaign_log fault_list flags)
if (($# != 2)) || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh TARGET|all SECONDS (targets: ${targets[*]})" >&2
  exit 2
fi
target=$1 seconds=$2
if [[ "$target" == all ]]; then
  for t in "${targets[@]}"; do "$0" "$t" "$seconds"; done
  exit 0
fi
if [[ " ${targets[*]} " != *" $target "* ]]; then
  echo "scripts/fuzz.sh: unknown target '$target' (targets: ${targets[*]})" >&2
  exit 2
fi

flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f build-fuzz/CMakeCache.txt ]]; then
  cmake -S . -B build-fuzz "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" -DFTCNN_CUDA=OFF -DFTCNN_MPI=OFF \
    -DFTCNN_BUILD_TESTS=OFF -DFTCNN_PYTHON=OFF -DFTCNN_FUZZ=ON >/dev/null
fi
cmake --build build-fuzz --target "fuzz_$target" -j "$(nproc)" >/dev/null

seeds=build-fuzz/seeds corpus=build-fuzz/corpus/$target findings=build-fuzz/findings/$target
rm -rf "$seeds"
/usr/bin/python3 fuzz/make_seeds.py "$seeds" >/dev/null
# Inputs that once found a bug are replayed first, every run (each is also a regression test in test/).
if [[ -d fuzz/regressions/$target ]]; then cp fuzz/regressions/"$target"/* "$seeds/$target/"; fi
mkdir -p "$corpus" "$findings"
# Scratch files on tmpfs: each input is written to a file and read back.
scratch=$(mktemp -d "${FUZZ_TMPDIR:-/dev/shm}/ftcnn-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
log=build-fuzz/fuzz_$target.log
status=0
TMPDIR=$scratch ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "build-fuzz/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=1048576 \
  -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$seeds/$target" >"$log" 2>&1 || status=$?
executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || echo "cov: ? ft: ?")
found=$(find "$findings" -type f | wc -l)
echo "fuzz $target: ${seconds} s, $executions executions, $coverage, corpus $(find "$corpus" -type f | wc -l)" \
  "inputs, $found findings in $findings (log: $log)"
if ((status != 0)); then
  grep -m 5 -E "ERROR|SUMMARY|ftcnn fuzz:" "$log" >&2 || true
fi
exit "$status"
