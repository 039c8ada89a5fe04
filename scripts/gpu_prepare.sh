#!/usr/bin/env bash
# Prepares a GPU run, HERE on the development machine: everything scripts/gpu_check.sh needs on the GPU
# machine, inside gpu_carry/ (ignored by git), within the 64 MiB that one device call may carry.
#
#   scripts/gpu_prepare.sh [--skip-build]
#
# Then one device call (docs/performance.md, "GPU"):
#   run  carry: gpu_carry/build/ftcnn gpu_carry/build/ftcnn_tests gpu_carry/lib gpu_carry/data
#               gpu_carry/models gpu_carry/manifest.json
#        command: scripts/gpu_check.sh        timeout_s: 600
#
# What it makes:
#   gpu_carry/build/        ftcnn and ftcnn_tests with the project's CUDA architectures (default 86-real;90:
#                           sm_86 SASS, sm_90 SASS + compute_90 PTX; the list must include 90 for the H200),
#                           CUDA on with warnings as errors, HDF5 (and its szip/zlib filters) linked
#                           statically; only the two binaries travel
#   gpu_carry/lib/          shared libraries the binaries need that Ubuntu 24.04 may lack, xz-compressed
#                           (libopenblas is 36 MB, 4 MB compressed): libfmt, libopenblas (OpenMP build),
#                           libgfortran, libquadmath, libgomp
#   gpu_carry/data/         the CIFAR-10 test split as a JPEG pack (9 MB; the decoded binary is 30 MB and
#                           xz only takes it to 24 MB); gpu_check.sh decodes it there with scripts/prepare_cifar
#   gpu_carry/models/       pretrained weights that fit: vgg11_cifar10.h5 (19.6 MB). alexnet_cifar10.h5
#                           (44 MB) and vgg16_cifar100.h5 (71 MB) do not fit beside the rest (they are
#                           gzip-compressed float16-exact values already: they shrink no further);
#                           gpu_check.sh times AlexNet and VGG-16 on synthetic weights made there instead
#   gpu_carry/manifest.json the source directory compiled into the test binary, checksums of the models and
#                           of the decoded test split, the CUDA architectures, the CPU's accuracy on the
#                           bundled slice (gpu_check.sh's smoke step compares the GPU's with it)
# It ends by adding up what a device call would carry (tracked and untracked-not-ignored files plus these
# paths) and fails when that exceeds 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CARRY=gpu_carry
SHARED=${FTCNN_SHARED:-$ROOT/../shared}
PYTHON=/usr/bin/python3  # Debian's, with numpy and h5py
LIMIT=$((64 * 1024 * 1024))

skip_build=0
[[ "${1:-}" == "--skip-build" ]] && skip_build=1

if ! command -v nvcc >/dev/null && [[ -x /usr/local/cuda/bin/nvcc ]]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi

mkdir -p "$CARRY"/{build,lib,data,models}

# 1. The binaries.
if (( !skip_build )); then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  # The project's default CUDA architectures (CMakeLists.txt), unless this build tree already has a list.
  # No oneDNN: its library (40 MB) does not fit the carry beside the rest; the GPU machine's CPU anchor runs
  # im2col + OpenBLAS.
  cmake -S . -B "$CARRY/build" -DCMAKE_BUILD_TYPE=Release -DFTCNN_CUDA=ON -DFTCNN_STATIC_HDF5=ON -DFTCNN_PYTHON=OFF \
    -DFTCNN_ONEDNN=OFF -DFTCNN_CUDA_WERROR=ON "${launcher[@]}" >/dev/null
  cmake --build "$CARRY/build" -j "$(nproc)" --target ftcnn ftcnn_tests
fi
for binary in ftcnn ftcnn_tests; do
  [[ -x "$CARRY/build/$binary" ]] || { echo "gpu_prepare: $CARRY/build/$binary missing" >&2; exit 1; }
  if readelf -d "$CARRY/build/$binary" | grep -q 'NEEDED.*hdf5'; then
    echo "gpu_prepare: $binary links a shared HDF5 (FTCNN_STATIC_HDF5 did not take)" >&2
    exit 1
  fi
done
# The GPU machine is a Hopper (sm_90): the list must hold SASS for it ("90", "90-real", "90a" or "90a-real"),
# whatever else it holds (the default 86-real;90 also serves Ampere-class cards).
architectures=$(sed -n 's/^CMAKE_CUDA_ARCHITECTURES:[A-Z]*=//p' "$CARRY/build/CMakeCache.txt")
hopper=';90a?(-real)?;'
if [[ ! ";$architectures;" =~ $hopper ]]; then
  echo "gpu_prepare: $CARRY/build has CUDA architectures '$architectures', without 90 (sm_90 for the H200):" \
    "reconfigure it with -DCMAKE_CUDA_ARCHITECTURES='86-real;90'" >&2
  exit 1
fi
if ! "$CARRY/build/ftcnn" devices --json | grep -q '"cuda_compiled": *true'; then
  echo "gpu_prepare: $CARRY/build/ftcnn has no CUDA backend" >&2
  exit 1
fi

# 2. Shared libraries: every NEEDED library of the binaries, and of OpenBLAS, that is not one the GPU machine
# is known to have (glibc, libstdc++, libgcc_s, zlib, and CUDA 13's cudart / cuBLAS / cuDNN 9 there).
rm -f "$CARRY"/lib/*
needed() { readelf -d "$1" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p'; }
present='^(ld-linux-x86-64|libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|libz|libcudart|libcublas|libcublasLt|libcudnn)\.so'
declare -A copied=()
copy_lib() {  # copy_lib SONAME
  local soname=$1 path
  [[ -n "${copied[$soname]:-}" ]] && return 0
  path=$(ldd "$CARRY/build/ftcnn" "$CARRY/build/ftcnn_tests" | awk -v s="$soname" '$1 == s {print $3; exit}')
  [[ -z "$path" || "$path" == "not" ]] && path=$(ldconfig -p | awk -v s="$soname" '$1 == s {print $NF; exit}')
  [[ -f "$path" ]] || { echo "gpu_prepare: cannot find $soname" >&2; exit 1; }
  copied[$soname]=$path
  xz -T0 -6 -c "$path" > "$CARRY/lib/$soname.xz"
  local dep
  for dep in $(needed "$path"); do [[ "$dep" =~ $present ]] || copy_lib "$dep"; done
}
for dep in $(needed "$CARRY/build/ftcnn") $(needed "$CARRY/build/ftcnn_tests"); do
  [[ "$dep" =~ $present ]] || copy_lib "$dep"
done

# 3. The CIFAR-10 test split as a JPEG pack, and the sha256 of its decode here (PIL / libjpeg-turbo of this
# machine; another decoder may move a few pixels by one grey level, which changes no timing).
$PYTHON - "$SHARED/data/cifar10/cifar10-jpeg.npz" "$CARRY/data/cifar10-test-jpeg.npz" <<'EOF'
import sys
import numpy as np
pack = np.load(sys.argv[1])
np.savez(sys.argv[2], **{k: pack[k] for k in ("class_names", "test_jpeg", "test_offsets", "test_labels")})
EOF
decoded=$(mktemp -d)
trap 'rm -rf "$decoded"' EXIT
$PYTHON scripts/prepare_cifar --pack "$CARRY/data/cifar10-test-jpeg.npz" --out "$decoded" --splits test >/dev/null
data_sha=$(sha256sum "$decoded/test_batch.bin" | cut -d' ' -f1)

# 4. Pretrained weights that fit.
rm -f "$CARRY"/models/*
cp "$SHARED/weights/vgg11_cifar10.h5" "$CARRY/models/"

# 5. The manifest: what gpu_check.sh verifies there.
models_json=""
for model in "$CARRY"/models/*.h5 data/default/small_cifar10.h5; do
  info=$("$CARRY/build/ftcnn" info --model "$model" --json)
  models_json+=$($PYTHON -c '
import json, sys
info = json.loads(sys.argv[2])
print(json.dumps({sys.argv[1]: {k: info[k] for k in ("arch", "checksum", "macs", "parameters")}})[1:-1] + ",")
' "$model" "$info")
done
# The CPU's answer on the bundled model and slice: the smoke step of gpu_check.sh compares the GPU's with it.
smoke_eval=$("$CARRY/build/ftcnn" eval --model data/default/small_cifar10.h5 --data data/default/cifar10-test-slice \
  --device cpu --json)
$PYTHON - "$CARRY/manifest.json" "$ROOT" "{${models_json%,}}" "$data_sha" "$("$CARRY/build/ftcnn" --version)" \
  "$architectures" "$smoke_eval" <<'EOF'
import datetime, json, sys
path, source_dir, models, data_sha, version, architectures, smoke_eval = sys.argv[1:]
smoke = json.loads(smoke_eval)
json.dump({"source_dir": source_dir, "version": version,
           "prepared": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
           "cuda_architectures": architectures,
           "models": json.loads(models),
           "smoke": {"model": "data/default/small_cifar10.h5", "data": "data/default/cifar10-test-slice",
                     "cpu_accuracy": smoke["accuracy"], "cpu_correct": smoke["correct"], "images": smoke["images"]},
           "data": {"pack": "gpu_carry/data/cifar10-test-jpeg.npz", "test_batch_sha256": data_sha}},
          open(path, "w"), indent=2)
EOF

# 6. The budget of one device call.
carried=("$CARRY/build/ftcnn" "$CARRY/build/ftcnn_tests" "$CARRY/lib" "$CARRY/data" "$CARRY/models"
         "$CARRY/manifest.json")
tree_bytes=$(git ls-files -z -co --exclude-standard | xargs -0 -r stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
printf '%-32s %12s\n' "what travels" "bytes"
printf '%-32s %12d\n' "working tree (git-visible files)" "$tree_bytes"
total=$tree_bytes
for path in "${carried[@]}"; do
  bytes=$(du -sb "$path" | cut -f1)
  total=$((total + bytes))
  printf '%-32s %12d\n' "$path" "$bytes"
done
printf '%-32s %12d  (limit %d, %d left)\n' "total" "$total" "$LIMIT" $((LIMIT - total))
if (( total > LIMIT )); then
  echo "gpu_prepare: over the 64 MiB a device call carries" >&2
  exit 1
fi
echo "gpu_prepare: ready; carry: ${carried[*]}"
