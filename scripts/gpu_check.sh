#!/usr/bin/env bash
# The whole GPU check in one command, run ON the GPU machine from the repository root, after
# scripts/gpu_prepare.sh ran on the development machine (docs/performance.md, "GPU"):
#
#   device run   carry: gpu_carry/build/ftcnn gpu_carry/build/ftcnn_tests gpu_carry/lib gpu_carry/data
#                       gpu_carry/models gpu_carry/manifest.json
#                command: scripts/gpu_check.sh          timeout_s: 600
#
# Steps, each under its own timeout and all inside GPU_CHECK_BUDGET seconds (default 480), most important
# first; a step that fails is reported and the next one runs:
#   1. the environment: GPU, driver, clocks, PyTorch, the libraries ftcnn resolves; ftcnn devices
#   2. the CUDA test cases (ftcnn_tests "[cuda]")
#   3. the CIFAR-10 test split decoded from the carried JPEG pack; synthetic timing-only AlexNet and VGG-16
#      (PyTorch default initialisation, seed 0, 10 classes), whose real weights do not fit the transfer
#   4. per model (vgg11 real, alexnet synthetic, small real, vgg16 synthetic): ftcnn bench and
#      bench/pytorch_reference.py on CUDA, 10,000 images, batch 1000 and 250, 2 warm-ups, 5 timed passes,
#      GPU_CHECK_REPS (default 20) campaign repetitions at BER 1e-5 (paper count)
#   5. hardened variants of VGG-11, AlexNet and VGG-16 (experiments/hardening_overhead.sh: ftcnn bench-variants,
#      batch 1000, interleaved rounds) and Eq. (1) on CUDA (ftcnn vuln, VGG-11, 256 images) with a CPU anchor
#   6. the ratio table (bench/compare.py), printed last
# Full output: $OUT/gpu_check.log, $OUT/results.json (every bench JSON, the environment and the step
# statuses), $OUT/compare.md. Without $OUT they go to /tmp/ftcnn-gpu/out.
#
# A dry run of the same path on a machine without a GPU (the development machine; python3 must have torch):
#   GPU_CHECK_DEVICE=cpu GPU_CHECK_IMAGES=100 GPU_CHECK_REPS=2 scripts/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=$SECONDS
BUDGET=${GPU_CHECK_BUDGET:-480}
REPS=${GPU_CHECK_REPS:-20}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
IMAGES=${GPU_CHECK_IMAGES:-}
WORK=/tmp/ftcnn-gpu
RESULTS=${OUT:-$WORK/out}
mkdir -p "$WORK"/{lib,json,models,variants} "$RESULTS"

FT=gpu_carry/build/ftcnn
TESTS=gpu_carry/build/ftcnn_tests
STEPS=()

# step NAME LIMIT_S COMMAND...: runs an executable under min(LIMIT_S, what is left of the budget) and
# records the outcome; a shell function runs as is (its commands carry their own timeouts).
step() {
  local name=$1 limit=$2 left rc t0
  shift 2
  left=$((BUDGET - (SECONDS - START)))
  if ((left < 15)); then
    echo "== $name: skipped, the budget of ${BUDGET} s is spent" >&2
    STEPS+=("$name|skipped|0")
    return 1
  fi
  ((limit > left)) && limit=$left
  echo "== $name (limit ${limit} s, $((SECONDS - START)) s elapsed)" >&2
  t0=$SECONDS
  if declare -F "$1" >/dev/null; then
    "$@"
  else
    timeout --kill-after=5 "$limit" "$@"
  fi
  rc=$?
  STEPS+=("$name|$( ((rc == 0)) && echo ok || echo "failed (exit $rc)")|$((SECONDS - t0))")
  ((rc == 0)) || echo "== $name: FAILED (exit $rc)" >&2
  return $rc
}

unxz_to() {  # unxz_to FILE.xz DEST: xz where installed, Python's lzma otherwise
  if command -v xz >/dev/null; then
    xz -dc "$1" >"$2"
  else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}

CUDA_LIB=""
for d in /usr/local/cuda-13.0/targets/x86_64-linux/lib /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda/lib64; do
  [[ -d "$d" ]] && { CUDA_LIB=$d; break; }
done
# The carried libraries first (as built against), then the system's, then CUDA's (cuBLAS 13). Only ftcnn gets
# this path: PyTorch keeps its own cuDNN and cuBLAS.
FTENV=(env "LD_LIBRARY_PATH=$WORK/lib:/usr/lib/x86_64-linux-gnu${CUDA_LIB:+:$CUDA_LIB}")
export PYTHONUNBUFFERED=1
export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"  # the ftcnn package

setup() {
  local f
  rm -f "$WORK"/json/*.json
  for f in gpu_carry/lib/*.xz; do unxz_to "$f" "$WORK/lib/$(basename "$f" .xz)" || return 1; done
  # The test binary was compiled with the development machine's source directory (fixtures, the ftcnn
  # binary): point that path at this checkout when it is elsewhere.
  local source_dir
  source_dir=$(python3 -c 'import json; print(json.load(open("gpu_carry/manifest.json"))["source_dir"])') || return 1
  if [[ "$source_dir" != "$ROOT" ]]; then
    if [[ ! -e "$source_dir" ]]; then
      mkdir -p "$(dirname "$source_dir")" && ln -s "$ROOT" "$source_dir"
    else
      echo "gpu_check: $source_dir exists and is not this checkout: tests that read fixtures may fail" >&2
    fi
  fi
}

environment() {
  {
    echo "date: $(date -u +%FT%TZ)"
    echo "host: $(uname -srm); $(nproc) CPUs; $(. /etc/os-release && echo "$PRETTY_NAME")"
    timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,power.draw,power.limit \
      --format=csv
    timeout 60 python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn",
                torch.backends.cudnn.version(), torch.cuda.get_device_name(0))'
    echo "ftcnn: $("${FTENV[@]}" "$FT" --version)"
    "${FTENV[@]}" ldd "$FT" | grep -E 'not found|openblas|fmt|gomp|gfortran|cudart|cublas|cudnn|hdf5|sz|aec'
    ! "${FTENV[@]}" ldd "$FT" "$TESTS" | grep -q 'not found'
  } | tee "$WORK/environment.txt"
}

main() {
  step "unpack the carried libraries" 60 setup
  step "environment" 90 environment
  step "ftcnn devices" 30 "${FTENV[@]}" "$FT" devices
  if [[ "$DEVICE" == cuda ]]; then
    gpus=$("${FTENV[@]}" "$FT" devices --count 2>/dev/null || echo 0)
    if [[ "$gpus" -lt 1 ]]; then
      echo "gpu_check: ftcnn sees no GPU: stopping" >&2
      return 1
    fi
    step "cuda tests" 150 "${FTENV[@]}" "$TESTS" "[cuda]" --durations yes
  fi

  DATA=$WORK/cifar10
  step "decode CIFAR-10 test split" 60 python3 scripts/prepare_cifar --pack gpu_carry/data/cifar10-test-jpeg.npz \
    --out "$DATA" --splits test
  if [[ -f "$DATA/test_batch.bin" ]]; then
    echo "test_batch.bin sha256 $(sha256sum "$DATA/test_batch.bin" | cut -d' ' -f1)" \
      "(development machine's decode: $(python3 -c 'import json; print(json.load(open("gpu_carry/manifest.json"))["data"]["test_batch_sha256"])'))"
  fi

  step "synthetic AlexNet and VGG-16" 90 python3 - "$WORK/models" <<'EOF'
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

  COMMON=(--data "$DATA" --device "$DEVICE" --batch 1000,250 --warmup 2 --repeats 5 --campaign-reps "$REPS" --ber 1e-5
          ${IMAGES:+--images "$IMAGES"} --json)
  for model in gpu_carry/models/vgg11_cifar10.h5 "$WORK/models/alexnet_synthetic.h5" data/default/small_cifar10.h5 \
               "$WORK/models/vgg16_synthetic.h5"; do
    name=$(basename "$model" .h5)
    [[ -f "$model" ]] || { STEPS+=("bench $name|missing model|0"); continue; }
    step "ftcnn bench $name" 120 "${FTENV[@]}" "$FT" bench --model "$model" "${COMMON[@]}" >"$WORK/json/$name.ftcnn.json"
    step "pytorch reference $name" 120 python3 bench/pytorch_reference.py --model "$model" "${COMMON[@]}" \
      >"$WORK/json/$name.pytorch.json"
  done

  # Hardened variants against their model in one process (issue 4's execution-time ratios): intervals only,
  # 15 %, 50 %, 100 % duplication + EDAC, dup-only, TMR; intervals profiled on 2,000 test images (only the
  # test split travels), which sets the timing right and may clip a few test values.
  for model in gpu_carry/models/vgg11_cifar10.h5 "$WORK/models/alexnet_synthetic.h5" "$WORK/models/vgg16_synthetic.h5"; do
    name=$(basename "$model" .h5)
    [[ -f "$model" ]] || continue
    step "hardened variants $name" 150 "${FTENV[@]}" experiments/hardening_overhead.sh --model "$model" --data "$DATA" \
      --device "$DEVICE" --batch 1000 --warmup 1 --repeats 3 --profile-images 2000 ${IMAGES:+--images "$IMAGES"} \
      --ftcnn "$FT" --out "$WORK/variants/$name"
  done
  # Eq. (1) on the GPU: 256 test images of VGG-11, exact method, against the CPU's time for 16.
  step "vulnerability vgg11 cuda" 90 "${FTENV[@]}" "$FT" vuln --model gpu_carry/models/vgg11_cifar10.h5 \
    --data "$DATA" --split test --images 256 --method exact --device "$DEVICE" --out "$WORK/variants/vuln_cuda.h5" \
    --json >"$WORK/variants/vuln_vgg11_cuda.json"
  step "vulnerability vgg11 cpu (16 images)" 90 "${FTENV[@]}" "$FT" vuln --model gpu_carry/models/vgg11_cifar10.h5 \
    --data "$DATA" --split test --images 16 --method exact --device cpu --json >"$WORK/variants/vuln_vgg11_cpu16.json"

  # Everything in one JSON file, then the table.
  python3 - "$RESULTS/results.json" "$WORK/json" "$RESULTS/gpu_check.log" "${STEPS[@]}" <<'EOF'
import glob, json, os, sys
out, folder, log, *steps = sys.argv[1:]
results, variants = [], []
for path in sorted(glob.glob(os.path.join(os.path.dirname(folder), "variants", "**", "*.json"), recursive=True)):
    try:
        variants.append({"file": os.path.relpath(path, os.path.dirname(folder)), **json.load(open(path))})
    except (OSError, ValueError) as e:
        variants.append({"file": os.path.basename(path), "error": str(e)})
for path in sorted(glob.glob(f"{folder}/*.json")):
    try:
        results.append(json.load(open(path)))
    except (OSError, ValueError) as e:
        results.append({"file": os.path.basename(path), "error": str(e)})
manifest = json.load(open("gpu_carry/manifest.json"))
try:
    environment = open(os.path.join(os.path.dirname(folder), "environment.txt")).read()
except OSError:
    environment = None
json.dump({"manifest": manifest, "environment": environment,
           "steps": [dict(zip(("step", "status", "seconds"), s.split("|"))) for s in steps],
           "results": results, "variants": variants}, open(out, "w"), indent=1)
# Carried models must arrive intact: ftcnn's checksum there equals the one taken here.
for r in results:
    expected = manifest["models"].get(r.get("model", ""), {}).get("checksum")
    if r.get("engine") == "ftcnn" and expected and expected != r.get("model_checksum"):
        print(f"gpu_check: {r['model']}: checksum {r.get('model_checksum')} differs from {expected}")
EOF
  python3 bench/compare.py --markdown "$RESULTS/results.json" >"$RESULTS/compare.md" 2>&1
  echo
  echo "== steps"
  for s in "${STEPS[@]}"; do IFS='|' read -r name status seconds <<<"$s"; printf '%-36s %-18s %4s s\n' "$name" "$status" "$seconds"; done
  echo "total $((SECONDS - START)) s; results in $RESULTS"
  echo
  python3 bench/compare.py "$RESULTS/results.json"
}

main 2>&1 | tee "$RESULTS/gpu_check.log"
