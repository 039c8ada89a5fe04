#!/usr/bin/env bash
# Installs every system dependency of ftcnn from Debian's archive.
#   scripts/install_deps.sh          build + test dependencies (what CI needs; pybind11 for the Python module;
#                                    PyTorch, h5py, pytest, torchvision, pandas, jsonschema and matplotlib for
#                                    python/ftcnn/, its tests in test/python/ and the plots of experiments/;
#                                    onnx and onnxruntime from PyPI into build/python-env, see below)
#   scripts/install_deps.sh --python the same (the name older scripts use)
#   scripts/install_deps.sh --fuzz   also clang and libFuzzer, h5py for scripts/fuzz.sh
# The CUDA toolkit and cuDNN are not Debian packages here: CMake builds the CUDA backend when nvcc is found.
set -euo pipefail

# OpenMPI: optional for building (CMake finds it or leaves MPI out), installed so that the tests run
# `mpirun -n 3 ftcnn campaign` (test/test_mpi.cpp, docs/distributed.md). pybind11 and the Python headers: the
# Python module (docs/python.md). zlib: .npz datasets (docs/datasets.md). oneDNN: the CPU convolutions
# (FTCNN_ONEDNN, docs/design.md); Debian's dnnl-config.cmake requires OpenCL (libdnnl-dev only recommends
# ocl-icd-opencl-dev, and recommends are not installed here), so CMake cannot load oneDNN without it.
packages=(build-essential cmake pkg-config libhdf5-dev zlib1g-dev libfmt-dev catch2 libopenblas-openmp-dev
          libdnnl-dev ocl-icd-opencl-dev libcli11-dev
          nlohmann-json3-dev python3-numpy python3-pil libopenmpi-dev openmpi-bin
          python3-dev pybind11-dev python3-matplotlib
          python3-torch python3-h5py python3-pytest python3-torchvision python3-pandas python3-jsonschema
          python3-venv)
if [[ "${1:-}" == "--python" ]]; then
  :  # what it added (matplotlib) is in the base list: docs/examples/python_walkthrough.py is tested
elif [[ "${1:-}" == "--fuzz" ]]; then
  packages+=(clang libclang-rt-dev libomp-dev python3-h5py ninja-build)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install_deps: all ${#packages[@]} packages present"
else
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX import (python3 -m ftcnn.export --in net.onnx, docs/bring_your_own_model.md) reads the file with onnx
# and verifies the export against onnxruntime. Debian 12 has python3-onnx 1.12 (no evaluator) and no
# onnxruntime, so both come from PyPI, pinned, into a virtual environment that also sees Debian's packages
# (--system-site-packages: torch, numpy, h5py, pytest) and changes nothing outside it. CMake runs
# test/python with its interpreter when it exists. FTCNN_NO_ONNX=1 skips this, and so does a failed pip, with
# a warning (the ONNX tests then skip).
root=$(cd "$(dirname "$0")/.." && pwd)
env_dir="$root/build/python-env"
pins=(onnx==1.17.0 onnxruntime==1.20.1 protobuf==5.29.5)
if [[ "${FTCNN_NO_ONNX:-}" == 1 ]]; then
  echo "install_deps: FTCNN_NO_ONNX=1: no onnx / onnxruntime (ONNX import and its tests are left out)"
elif [[ "$(cat "$env_dir/pins" 2>/dev/null)" == "${pins[*]}" ]]; then
  echo "install_deps: $env_dir has ${pins[*]}"
else
  /usr/bin/python3 -m venv --system-site-packages --clear "$env_dir"
  if "$env_dir/bin/python3" -m pip install -q --disable-pip-version-check "${pins[@]}"; then
    echo "${pins[*]}" >"$env_dir/pins"
    echo "install_deps: $env_dir has ${pins[*]}"
  else
    # Everything else builds and tests without them: say so loudly, and leave no half-made environment for
    # CMake to pick (the ONNX tests then skip, naming what is missing).
    rm -rf "$env_dir"
    echo "install_deps: WARNING: pip could not install ${pins[*]} into $env_dir (no access to PyPI?):" \
         "ONNX import and its tests are left out" >&2
  fi
fi
