#!/usr/bin/env bash
# Installs every system dependency of ftcnn from Debian's archive.
#   scripts/install_deps.sh          build + test dependencies (what CI needs; pybind11 for the Python module;
#                                    PyTorch, h5py, pytest, torchvision, pandas, jsonschema and matplotlib for
#                                    python/ftcnn/, its tests in test/python/ and the plots of experiments/)
#   scripts/install_deps.sh --python the same (the name older scripts use)
#   scripts/install_deps.sh --fuzz   also clang and libFuzzer, h5py for scripts/fuzz.sh
# The CUDA toolkit and cuDNN are not Debian packages here: CMake builds the CUDA backend when nvcc is found.
set -euo pipefail

# OpenMPI: optional for building (CMake finds it or leaves MPI out), installed so that the tests run
# `mpirun -n 3 ftcnn campaign` (test/test_mpi.cpp, docs/distributed.md). pybind11 and the Python headers: the
# Python module (docs/python.md). zlib: .npz datasets (docs/datasets.md). oneDNN: the CPU convolutions
# (FTCNN_ONEDNN, docs/design.md).
packages=(build-essential cmake pkg-config libhdf5-dev zlib1g-dev libfmt-dev catch2 libopenblas-openmp-dev libdnnl-dev libcli11-dev
          nlohmann-json3-dev python3-numpy python3-pil libopenmpi-dev openmpi-bin
          python3-dev pybind11-dev python3-matplotlib
          python3-torch python3-h5py python3-pytest python3-torchvision python3-pandas python3-jsonschema)
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
  exit 0
fi
sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
