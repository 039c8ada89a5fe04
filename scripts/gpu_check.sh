#!/usr/bin/env bash
# The whole GPU check in one command, run ON the GPU machine from the repository root, after
# scripts/gpu_prepare.sh ran on the development machine (docs/performance.md, "GPU"):
#
#   device run   carry: gpu_carry/build/ftcnn gpu_carry/build/ftcnn_tests gpu_carry/lib gpu_carry/data
#                       gpu_carry/models gpu_carry/manifest.json
#                command: scripts/gpu_check.sh          timeout_s: 420
#
# Steps, most important first, each under its own timeout and all inside GPU_CHECK_BUDGET seconds (default
# 300, so that one call returns a complete verdict and a 15-minute window leaves time for a rerun):
#   1. smoke (60 s at most): pick cuDNN / cuBLAS / cudart (system folders first, then PyTorch's nvidia-*
#      wheels), unpack the carried libraries, `ftcnn devices`, one `ftcnn eval` of the bundled model on the
#      bundled slice (its accuracy must match the CPU's, recorded by gpu_prepare.sh) and one campaign
#      repetition on it. When it fails the log says so in capitals and only the cheap diagnostic steps run.
#   2. environment: GPU, driver, clocks, PyTorch, which libraries ftcnn resolves (diagnostic, cheap)
#   3. the [cuda] test cases with FTCNN_REQUIRE_GPU=1 (a case that would skip for lack of a GPU fails)
#   4. compute-sanitizer --tool memcheck on a few small [cuda] cases (when /usr/local/cuda*/bin has it)
#   5. benchmarks (optional: run while the budget lasts): the CIFAR-10 test split decoded from the carried
#      JPEG pack; per model (small, vgg11 real, then synthetic AlexNet and VGG-16 made there with PyTorch's
#      default initialisation, seed 0) `ftcnn bench` and bench/pytorch_reference.py at batch 1000 and 250,
#      2 warm-ups, 5 timed passes, GPU_CHECK_REPS (default 20) campaign repetitions at BER 1e-5; hardened
#      variants (experiments/hardening_overhead.sh); Eq. (1) on CUDA (ftcnn vuln, VGG-11, 256 images) with a CPU
#      anchor; the ratio table (bench/compare.py)
# It ends with one verdict line, `GPU CHECK: PASS` or `GPU CHECK: FAIL (<steps>)`, and exit status 1 on FAIL:
# a step that fails or times out fails the check, and so does a required step (1 to 4) that did not run
# (budget spent, smoke failed). Benchmarks left out for lack of budget are listed, and do not fail it.
# Full output: $OUT/gpu_check.log, $OUT/results.json (every bench JSON, the environment, the libraries
# chosen, the step statuses, the verdict), $OUT/compare.md. Without $OUT they go to /tmp/ftcnn-gpu/out.
#
# A dry run of the same path on a machine without a GPU (CUDA-only steps are marked n/a; the Python must
# have torch, numpy, h5py and PIL: GPU_CHECK_PYTHON, else the first of python3, /usr/bin/python3 that has):
#   scripts/gpu_prepare.sh && GPU_CHECK_DEVICE=cpu GPU_CHECK_IMAGES=50 GPU_CHECK_REPS=1 scripts/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=$SECONDS
BUDGET=${GPU_CHECK_BUDGET:-300}
REPS=${GPU_CHECK_REPS:-20}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
IMAGES=${GPU_CHECK_IMAGES:-}
RESERVE=10  # seconds kept for the summary
WORK=/tmp/ftcnn-gpu
RESULTS=${OUT:-$WORK/out}
mkdir -p "$WORK"/{lib,json,models,variants} "$RESULTS"
export PYTHONUNBUFFERED=1
export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"  # the ftcnn package (python/ftcnn)

FT=gpu_carry/build/ftcnn
TESTS=gpu_carry/build/ftcnn_tests
SMALL=data/default/small_cifar10.h5
SLICE=data/default/cifar10-test-slice
STEPS=()         # "name|status|seconds|required"
STEP_DEADLINE=0  # SECONDS value at which the running step's time is up
SMOKE_OK=0
PY=""            # the Python with PyTorch (find_python)

banner() {
  echo "################################################################################"
  echo "## $*"
  echo "################################################################################"
}

# step [--optional] NAME LIMIT COMMAND...: runs COMMAND (an executable or a shell function) within
# min(LIMIT, what the budget has left) and records the outcome. Inside a shell function, `t CMD...` runs
# one command within what is left of the step's time.
step() {
  local required=required
  [[ "$1" == --optional ]] && { required=optional; shift; }
  local name=$1 limit=$2 left rc t0 status capped=0
  shift 2
  left=$((BUDGET - RESERVE - (SECONDS - START)))
  # Messages go to stderr: a step's stdout may be redirected into a JSON file.
  if ((left < 15)); then
    echo "== $name: not run, the budget of ${BUDGET} s is spent" >&2
    STEPS+=("$name|skipped (budget)|0|$required")
    return 1
  fi
  ((limit > left)) && { limit=$left; capped=1; }
  echo "== $name (limit ${limit} s, $((SECONDS - START)) s elapsed)" >&2
  t0=$SECONDS
  STEP_DEADLINE=$((SECONDS + limit))
  if declare -F "$1" >/dev/null; then
    "$@"
  else
    timeout --kill-after=5 "$limit" "$@"
  fi
  rc=$?
  if ((rc == 0)); then
    status=ok
  elif ((rc == 124 || rc == 137)) || ((SECONDS >= STEP_DEADLINE)); then
    # Cut short by the budget rather than by its own limit: like a step the budget left out.
    ((capped)) && status="cut short (budget, ${limit} s)" || status="timed out (${limit} s)"
  else
    status="FAILED (exit $rc)"
  fi
  STEPS+=("$name|$status|$((SECONDS - t0))|$required")
  ((rc == 0)) || echo "== $name: $status" >&2
  return $rc
}

# not_run NAME WHY [optional]: records a step that this run leaves out (n/a on this device, a tool missing,
# the smoke failed).
not_run() {
  echo "== $1: $2" >&2
  STEPS+=("$1|$2|0|${3:-required}")
}

t() {  # t COMMAND...: runs within the running step's time
  local left=$((STEP_DEADLINE - SECONDS))
  ((left < 1)) && left=1
  timeout --kill-after=5 "$left" "$@"
}

unxz_to() {  # unxz_to FILE.xz DEST: xz where installed, Python's lzma otherwise
  if command -v xz >/dev/null; then
    xz -dc "$1" >"$2"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}

json_field() {  # json_field FILE KEY...: a value from a JSON file (any python3 will do)
  python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]: v = v[k]
print(v)' "$@"
}

# Where each library ftcnn needs comes from: the system's CUDA and Debian/Ubuntu folders first (cuDNN 9.14 and
# cuBLAS 13.1 on the H200 machine), then the nvidia-* wheels of a PyTorch environment (cuDNN 9.19 in
# /opt/torch/.venv). cudart and cuBLAS: the first folder that has them. cuDNN: the first whose version is at
# least the one ftcnn was compiled against (ftcnn devices --json reports both; cuDNN promises compatibility
# with newer minor versions only), else the newest that loads. Only ftcnn gets this path: PyTorch keeps its
# own libraries.
choose_libraries() {
  local wheels=() d lib dirs=() found cudnn_dirs=() base versions loaded compiled best="" best_version=""
  for d in /opt/torch/.venv/lib/python3*/site-packages/nvidia /opt/*/.venv/lib/python3*/site-packages/nvidia \
           /usr/local/lib/python3*/dist-packages/nvidia; do
    [[ -d "$d" && " ${wheels[*]} " != *" $d "* ]] && wheels+=("$d")
  done
  local system=(/usr/local/cuda-13.0/targets/x86_64-linux/lib /usr/local/cuda/targets/x86_64-linux/lib
                /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu /usr/local/cuda-13*/targets/x86_64-linux/lib)
  holders() {  # holders LIB: every folder holding LIB, system first, each once
    local d h
    for d in "${system[@]}"; do [[ -e "$d/$1" ]] && readlink -f "$d"; done
    for d in "${wheels[@]}"; do find "$d" -maxdepth 3 -name "$1" -printf '%h\n' 2>/dev/null; done
  }
  : >"$WORK/libraries.txt"
  echo "PyTorch wheel folders: ${wheels[*]:-none}" | tee -a "$WORK/libraries.txt"
  for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13; do
    found=$(holders "$lib" | head -1)
    if [[ -z "$found" ]]; then
      echo "$lib: NOT FOUND (looked in ${system[*]} ${wheels[*]})" | tee -a "$WORK/libraries.txt"
      continue
    fi
    echo "$lib: $found ($(readlink -f "$found/$lib"))" | tee -a "$WORK/libraries.txt"
    [[ " ${dirs[*]} " == *" $found "* ]] || dirs+=("$found")
  done
  base="$WORK/lib"
  for d in "${dirs[@]}"; do base+=":$d"; done
  mapfile -t cudnn_dirs < <(holders libcudnn.so.9 | awk '!seen[$0]++')
  for d in "${cudnn_dirs[@]}"; do
    versions=$(timeout 30 env "LD_LIBRARY_PATH=$base:$d" "$FT" devices --json 2>/dev/null |
      python3 -c 'import json, sys; j = json.load(sys.stdin); print(j["cudnn"], j["cudnn_compiled"])' 2>/dev/null)
    read -r loaded compiled <<<"$versions"
    if [[ -z "$loaded" ]]; then
      echo "libcudnn.so.9 in $d: ftcnn does not start with it" | tee -a "$WORK/libraries.txt"
      continue
    fi
    echo "libcudnn.so.9 in $d: cuDNN $loaded (ftcnn compiled with $compiled)" | tee -a "$WORK/libraries.txt"
    if [[ "$(printf '%s\n%s\n' "$loaded" "$compiled" | sort -V | head -1)" == "$compiled" ]]; then
      best=$d best_version=$loaded
      break
    fi
    if [[ -z "$best" || "$(printf '%s\n%s\n' "$loaded" "$best_version" | sort -V | tail -1)" == "$loaded" ]]; then
      best=$d best_version=$loaded
    fi
  done
  if [[ -n "$best" ]]; then
    echo "libcudnn.so.9: chose $best (cuDNN $best_version)" | tee -a "$WORK/libraries.txt"
    [[ " ${dirs[*]} " == *" $best "* ]] || dirs+=("$best")
  else
    echo "libcudnn.so.9: NOT FOUND or unusable (looked in ${system[*]} ${wheels[*]})" | tee -a "$WORK/libraries.txt"
  fi
  # The carried libraries first (as built against), then the chosen ones.
  local path="$WORK/lib"
  for d in "${dirs[@]}"; do path+=":$d"; done
  FTENV=(env "LD_LIBRARY_PATH=$path")
  echo "LD_LIBRARY_PATH for ftcnn: $path" | tee -a "$WORK/libraries.txt"
}

smoke() {
  local f
  rm -f "$WORK"/lib/* "$WORK"/json/*.json
  for f in gpu_carry/lib/*.xz; do unxz_to "$f" "$WORK/lib/$(basename "$f" .xz)" || return 1; done
  choose_libraries  # on the CPU too (the dry run): the same path
  echo "-- ftcnn devices"
  t "${FTENV[@]}" "$FT" devices || return 1
  echo "-- ftcnn eval ($SMALL on $SLICE, $DEVICE)"
  t "${FTENV[@]}" "$FT" eval --model "$SMALL" --data "$SLICE" --device "$DEVICE" --json >"$WORK/smoke_eval.json" ||
    return 1
  cat "$WORK/smoke_eval.json"
  # The same images and weights: the accuracy must match the CPU's (a few near-ties may flip when the
  # summation order differs, hence half a percentage point), and no logit may be NaN or Inf.
  python3 - "$WORK/smoke_eval.json" gpu_carry/manifest.json <<'EOF' || return 1
import json, sys
got = json.load(open(sys.argv[1]))
cpu = json.load(open(sys.argv[2]))["smoke"]
print(f"accuracy {100 * got['accuracy']:.2f} % on {got['device_name']}; the CPU's {100 * cpu['cpu_accuracy']:.2f} %; "
      f"{got['non_finite']} non-finite")
if got["images"] != cpu["images"] or abs(got["accuracy"] - cpu["cpu_accuracy"]) > 0.005 or got["non_finite"]:
    sys.exit("smoke: the accuracy differs from the CPU's, or logits are not finite")
EOF
  echo "-- ftcnn campaign (1 repetition, BER 1e-5, $DEVICE)"
  rm -rf "$WORK/smoke_campaign"
  t "${FTENV[@]}" "$FT" campaign --model "$SMALL" --data "$SLICE" --ber 1e-5 --reps 1 --device "$DEVICE" \
    --verify-each --out "$WORK/smoke_campaign" || return 1
}

environment() {
  find_python
  {
    echo "date: $(date -u +%FT%TZ)"
    echo "host: $(uname -srm); $(nproc) CPUs; $(. /etc/os-release && echo "$PRETTY_NAME")"
    if command -v nvidia-smi >/dev/null; then
      t nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,power.draw,power.limit \
        --format=csv
    else
      echo "nvidia-smi: not installed"
    fi
    echo "python for PyTorch: ${PY:-none}"
    [[ -n "${PY:-}" ]] && t "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn",
                torch.backends.cudnn.version(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU")'
    echo "ftcnn: $("${FTENV[@]}" "$FT" --version)"
    cat "$WORK/libraries.txt"
    "${FTENV[@]}" ldd "$FT" | grep -E 'not found|openblas|fmt|gomp|gfortran|cudart|cublas|cudnn|hdf5|sz|aec'
    ! "${FTENV[@]}" ldd "$FT" "$TESTS" | grep -q 'not found'
  } 2>&1 | tee "$WORK/environment.txt"
  return "${PIPESTATUS[0]}"
}

# The test binary was compiled with the development machine's source directory (fixtures, the ftcnn binary):
# point that path at this checkout when it is elsewhere.
link_source_dir() {
  local source_dir
  source_dir=$(json_field gpu_carry/manifest.json source_dir) || return 1
  [[ "$source_dir" == "$ROOT" ]] && return 0
  if [[ ! -e "$source_dir" ]]; then
    mkdir -p "$(dirname "$source_dir")" && ln -s "$ROOT" "$source_dir"
  elif [[ "$(readlink -f "$source_dir")" != "$ROOT" ]]; then
    echo "gpu_check: $source_dir exists and is not this checkout: tests that read fixtures may fail" >&2
  fi
}

cuda_tests() {
  link_source_dir || return 1
  t "${FTENV[@]}" FTCNN_REQUIRE_GPU=1 "$TESTS" "[cuda]" --durations yes
}

# Small [cuda] cases under memcheck (fixture-sized, so memcheck's slowdown stays within the limit): our own
# kernels (batchnorm, pooling), cuDNN (conv2d), cuBLAS (linear), the context's kernel-image probe. API errors are not reported: cuDNN probes its own kernels with
# calls that may fail by design; the cases check every call they make themselves.
memcheck() {
  local spec="[cuda][batchnorm2d],[cuda][maxpool2d],[cuda][conv2d],[cuda][linear]"
  spec+=",a CUDA context opens on the GPU with a kernel image and pedantic cuBLAS"
  local listed
  listed=$("${FTENV[@]}" "$TESTS" --list-test-names-only "$spec" | grep -c .)
  echo "memcheck on $listed test cases: $spec"
  ((listed > 0)) || { echo "gpu_check: none of the memcheck cases exists" >&2; return 1; }
  link_source_dir || return 1
  t "${FTENV[@]}" FTCNN_REQUIRE_GPU=1 "$SANITIZER" --tool memcheck --error-exitcode 99 --report-api-errors no \
    --print-limit 20 "$TESTS" "$spec"
}

synthetic_models() {
  t "$PY" - "$WORK/models" <<'EOF'
import sys
import torch
from ftcnn import cifar
from ftcnn import model_file as ftcnn_model_file
from ftcnn import models as ftcnn_models
for arch in ("alexnet", "vgg16"):
    torch.manual_seed(0)
    spec = ftcnn_models.architecture(arch, 10)
    module = ftcnn_models.build_module(spec).eval()
    norm = cifar.NORMALIZATION["cifar10"]
    path = f"{sys.argv[1]}/{arch}_synthetic.h5"
    ftcnn_model_file.save_model(path, module, spec, "cifar10", cifar.CIFAR10_CLASSES, norm["mean"], norm["std"],
                                {"source": "synthetic: PyTorch default initialisation, torch.manual_seed(0); "
                                           "for timing only (the real weights do not fit the transfer)"})
    print("wrote", path)
EOF
}

benchmarks() {
  if [[ -z "$PY" ]]; then
    not_run "benchmarks" "not available (no Python with torch, h5py, numpy and PIL)" optional
    return
  fi
  DATA=$WORK/cifar10
  if ! step --optional "decode CIFAR-10 test split" 60 "$PY" scripts/prepare_cifar \
    --pack gpu_carry/data/cifar10-test-jpeg.npz --out "$DATA" --splits test; then
    not_run "benchmarks" "not run (no decoded test split)" optional
    return
  fi
  echo "test_batch.bin sha256 $(sha256sum "$DATA/test_batch.bin" | cut -d' ' -f1)" \
    "(development machine's decode: $(json_field gpu_carry/manifest.json data test_batch_sha256))"

  local common=(--data "$DATA" --device "$DEVICE" --batch 1000,250 --warmup 2 --repeats 5 --campaign-reps "$REPS"
                --ber 1e-5 ${IMAGES:+--images "$IMAGES"} --json)
  local model name
  for model in "$SMALL" gpu_carry/models/vgg11_cifar10.h5; do
    name=$(basename "$model" .h5)
    step --optional "ftcnn bench $name" 90 "${FTENV[@]}" "$FT" bench --model "$model" "${common[@]}" \
      >"$WORK/json/$name.ftcnn.json"
    step --optional "pytorch reference $name" 90 "$PY" bench/pytorch_reference.py --model "$model" "${common[@]}" \
      >"$WORK/json/$name.pytorch.json"
  done
  step --optional "synthetic AlexNet and VGG-16" 60 synthetic_models
  for model in "$WORK/models/alexnet_synthetic.h5" "$WORK/models/vgg16_synthetic.h5"; do
    name=$(basename "$model" .h5)
    [[ -f "$model" ]] || continue
    step --optional "ftcnn bench $name" 90 "${FTENV[@]}" "$FT" bench --model "$model" "${common[@]}" \
      >"$WORK/json/$name.ftcnn.json"
    step --optional "pytorch reference $name" 90 "$PY" bench/pytorch_reference.py --model "$model" "${common[@]}" \
      >"$WORK/json/$name.pytorch.json"
  done
  # Hardened variants against their model in one process (issue 4's execution-time ratios): intervals only,
  # 15 %, 50 %, 100 % duplication + EDAC, dup-only, TMR; intervals profiled on 2,000 test images (only the
  # test split travels), which sets the timing right and may clip a few test values.
  for model in gpu_carry/models/vgg11_cifar10.h5 "$WORK/models/alexnet_synthetic.h5" "$WORK/models/vgg16_synthetic.h5"; do
    name=$(basename "$model" .h5)
    [[ -f "$model" ]] || continue
    step --optional "hardened variants $name" 120 "${FTENV[@]}" experiments/hardening_overhead.sh --model "$model" \
      --data "$DATA" --device "$DEVICE" --batch 1000 --warmup 1 --repeats 3 --profile-images 2000 \
      ${IMAGES:+--images "$IMAGES"} --ftcnn "$FT" --out "$WORK/variants/$name"
  done
  # Eq. (1) on the device: 256 test images of VGG-11, exact method, against the CPU's time for 16.
  step --optional "vulnerability vgg11 $DEVICE" 90 "${FTENV[@]}" "$FT" vuln --model gpu_carry/models/vgg11_cifar10.h5 \
    --data "$DATA" --split test --images 256 --method exact --device "$DEVICE" --out "$WORK/variants/vuln_device.h5" \
    --json >"$WORK/variants/vuln_vgg11_$DEVICE.json"
  step --optional "vulnerability vgg11 cpu (16 images)" 90 "${FTENV[@]}" "$FT" vuln \
    --model gpu_carry/models/vgg11_cifar10.h5 --data "$DATA" --split test --images 16 --method exact --device cpu \
    --json >"$WORK/variants/vuln_vgg11_cpu16.json"
}

# The Python with PyTorch, h5py and PIL (benchmarks, the CIFAR decode); none: those steps fail.
find_python() {
  local p
  for p in ${GPU_CHECK_PYTHON:-} python3 /usr/bin/python3 /opt/torch/.venv/bin/python3; do
    if command -v "$p" >/dev/null && t "$p" -c 'import torch, h5py, numpy, PIL' 2>/dev/null; then
      PY=$(command -v "$p")
      return 0
    fi
  done
  PY=""
  echo "gpu_check: no python3 with torch, h5py, numpy and PIL (set GPU_CHECK_PYTHON)" >&2
}

summary() {
  local s name status seconds required failed=() left_out=() verdict
  for s in "${STEPS[@]}"; do
    IFS='|' read -r name status seconds required <<<"$s"
    case "$status" in
      ok | "n/a"*) ;;
      "not available"*) [[ "$required" == optional ]] || left_out+=("$name") ;;
      "skipped (budget)" | "cut short (budget"* | "not run"*)
        if [[ "$required" == required ]]; then failed+=("$name: $status"); else left_out+=("$name: $status"); fi ;;
      *) failed+=("$name: $status") ;;
    esac
  done
  if ((${#failed[@]} == 0)); then
    verdict="GPU CHECK: PASS"
  else
    local joined
    joined=$(printf '%s; ' "${failed[@]}")
    verdict="GPU CHECK: FAIL (${joined%; })"
  fi
  # Everything in one JSON file, then the table.
  python3 - "$RESULTS/results.json" "$WORK" "$verdict" "${STEPS[@]}" <<'EOF' || echo "gpu_check: results.json not written"
import glob, json, os, sys
out, work, verdict, *steps = sys.argv[1:]
results, variants = [], []
for path in sorted(glob.glob(os.path.join(work, "variants", "**", "*.json"), recursive=True)):
    try:
        variants.append({"file": os.path.relpath(path, work), **json.load(open(path))})
    except (OSError, ValueError) as e:
        variants.append({"file": os.path.basename(path), "error": str(e)})
for path in sorted(glob.glob(os.path.join(work, "json", "*.json"))):
    try:
        results.append(json.load(open(path)))
    except (OSError, ValueError) as e:
        results.append({"file": os.path.basename(path), "error": str(e)})
def read(name, parse=False):
    try:
        text = open(os.path.join(work, name)).read()
        return json.loads(text) if parse else text
    except (OSError, ValueError):
        return None
try:
    manifest = json.load(open("gpu_carry/manifest.json"))
except (OSError, ValueError):
    manifest = {}
json.dump({"verdict": verdict, "manifest": manifest, "environment": read("environment.txt"),
           "libraries": read("libraries.txt"), "smoke_eval": read("smoke_eval.json", True),
           "steps": [dict(zip(("step", "status", "seconds", "required"), s.split("|"))) for s in steps],
           "results": results, "variants": variants}, open(out, "w"), indent=1)
# Carried models must arrive intact: ftcnn's checksum there equals the one taken here.
for r in results:
    expected = manifest.get("models", {}).get(r.get("model", ""), {}).get("checksum")
    if r.get("engine") == "ftcnn" and expected and expected != r.get("model_checksum"):
        print(f"gpu_check: {r['model']}: checksum {r.get('model_checksum')} differs from {expected}")
EOF
  if compgen -G "$WORK/json/*.json" >/dev/null; then
    python3 bench/compare.py --markdown "$RESULTS/results.json" >"$RESULTS/compare.md" 2>&1
    echo
    python3 bench/compare.py "$RESULTS/results.json"
  fi
  echo
  echo "== steps"
  for s in "${STEPS[@]}"; do
    IFS='|' read -r name status seconds required <<<"$s"
    printf '%-46s %-9s %-30s %4s s\n' "$name" "$required" "$status" "$seconds"
  done
  echo "total $((SECONDS - START)) s of a ${BUDGET} s budget on device $DEVICE; results in $RESULTS"
  ((${#left_out[@]} == 0)) || echo "not run (optional or unavailable): $(printf '%s; ' "${left_out[@]}" | sed 's/; $//')"
  ((SMOKE_OK)) || banner "SMOKE FAILED: ftcnn could not run the bundled model on $DEVICE (see the smoke step above)"
  echo "$verdict"
  [[ "$verdict" == "GPU CHECK: PASS" ]]
}

main() {
  if [[ "$DEVICE" != cuda && "$DEVICE" != cpu ]]; then
    echo "gpu_check: GPU_CHECK_DEVICE must be cuda or cpu, not '$DEVICE'" >&2
    echo "GPU CHECK: FAIL (bad GPU_CHECK_DEVICE)"
    return 1
  fi
  [[ "$DEVICE" == cpu ]] && banner "DRY RUN on the CPU (GPU_CHECK_DEVICE=cpu): CUDA-only steps are n/a"
  FTENV=(env)
  if step "smoke: devices, eval, one campaign repetition" 60 smoke; then
    SMOKE_OK=1
  else
    banner "SMOKE FAILED: ftcnn cannot run the bundled model on $DEVICE; only the diagnostic steps follow"
  fi
  step "environment" 60 environment
  if [[ "$DEVICE" != cuda ]]; then
    not_run "cuda tests (FTCNN_REQUIRE_GPU=1)" "n/a (device $DEVICE)"
    not_run "compute-sanitizer memcheck" "n/a (device $DEVICE)"
  else
    # Diagnostic too: when the smoke failed, the failing test cases say which layer or call breaks.
    step "cuda tests (FTCNN_REQUIRE_GPU=1)" 150 cuda_tests
    SANITIZER=$(ls /usr/local/cuda*/bin/compute-sanitizer /usr/local/cuda*/compute-sanitizer/compute-sanitizer \
      2>/dev/null | head -1)
    if ((!SMOKE_OK)); then
      not_run "compute-sanitizer memcheck" "not run (smoke failed)"
    elif [[ -z "$SANITIZER" ]]; then
      not_run "compute-sanitizer memcheck" "not available (no /usr/local/cuda*/bin/compute-sanitizer)" optional
    else
      step "compute-sanitizer memcheck" 90 memcheck
    fi
  fi
  if ((SMOKE_OK)); then
    benchmarks
  else
    not_run "benchmarks" "not run (smoke failed)" optional
  fi
  summary
}

main 2>&1 | tee "$RESULTS/gpu_check.log"
exit "${PIPESTATUS[0]}"
