#!/usr/bin/env bash
# The CPU backend built with AddressSanitizer + UndefinedBehaviorSanitizer (build-sanitizers/), and the
# Catch2 suite run under it: every case but the CUDA ones, the 1000-repetition campaign (which repeats,
# longer, what the short campaign cases check) and the [memory] case (an address-space cap, which ASan's
# shadow memory cannot run under). Child ftcnn processes the tests start are the sanitized
# binary too. Any report (memory error, leak, undefined behaviour) fails. Needs the dependencies
# scripts/install_deps.sh installs (CI runs scripts/test.sh first).
set -euo pipefail
cd "$(dirname "$0")/.."
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
# No MPI here: OpenMPI's own allocations at exit would be reported as leaks (test/test_mpi.cpp runs in the
# plain build of scripts/test.sh). oneDNN stays in (FTCNN_ONEDNN=AUTO), so the convolution users run is the
# one checked: the library itself is not instrumented, and a program that makes, runs and drops its
# convolution and reorder primitives under these flags with leak detection on reported nothing (oneDNN
# 2.6.3, 2026-12-03); the im2col path runs under FTCNN_CPU_CONV=im2col in the cases that pick it.
cmake -S . -B build-sanitizers -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFTCNN_CUDA=OFF -DFTCNN_MPI=OFF -DFTCNN_PYTHON=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build-sanitizers -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
start=$(date +%s)
build-sanitizers/ftcnn_tests "~[cuda]~[memory]~1000 repetitions at three BERs*"
echo "test_sanitizers.sh: the suite ran clean under ASan + UBSan in $(($(date +%s) - start)) s"
