// Which cuDNN convolution algorithms ftcnn accepts, for the forward pass (conv2d) and the two backward
// passes of the Eq. (1) reverse pass; one rule for all three (docs/design.md, "Numerics"):
//   - the run succeeded and is deterministic (the same bits on every run);
//   - strict fp32 arithmetic: the descriptors ask for CUDNN_FMA_MATH, and cuDNN 9 may report either
//     CUDNN_FMA_MATH or CUDNN_DEFAULT_MATH for such a descriptor; a TENSOR_OP math type (TF32 or half
//     precision tensor cores) is never accepted;
//   - each output is a plain sum of products over its window (implicit GEMM, GEMM, direct): FFT and
//     Winograd transform whole tiles, so one Inf or NaN produced by a bit flip would spread over a tile or
//     plane instead of staying in the outputs whose window holds it, which changes what a fault injection
//     measures. kAllowTransformAlgorithms opens them.
// These are pure functions of cuDNN's enums, tested on the CPU (test/test_cudnn_algorithms.cpp).
#pragma once

#include <cudnn.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/error.hpp"

namespace ftcnn {

constexpr bool kAllowTransformAlgorithms = false;

const char* algorithm_name(cudnnConvolutionFwdAlgo_t algorithm);
const char* algorithm_name(cudnnConvolutionBwdDataAlgo_t algorithm);
const char* algorithm_name(cudnnConvolutionBwdFilterAlgo_t algorithm);

// Throws naming the text when no forward algorithm has that name (a pinned algorithm from a campaign log).
cudnnConvolutionFwdAlgo_t forward_algorithm_from_name(const std::string& name);

// True for the algorithms that sum products over each output's window directly.
bool sums_windows_directly(cudnnConvolutionFwdAlgo_t algorithm);
bool sums_windows_directly(cudnnConvolutionBwdDataAlgo_t algorithm);
bool sums_windows_directly(cudnnConvolutionBwdFilterAlgo_t algorithm);

// FMA or DEFAULT math, the arithmetic a CUDNN_FMA_MATH descriptor may report; never TENSOR_OP*.
bool strict_fp32_math(cudnnMathType_t math);

// The rule above for one result of a cuDNN finder.
template <typename Perf>
bool acceptable_algorithm(const Perf& perf) {
  return perf.status == CUDNN_STATUS_SUCCESS && strict_fp32_math(perf.mathType) &&
         perf.determinism == CUDNN_DETERMINISTIC &&
         (kAllowTransformAlgorithms || sums_windows_directly(perf.algo));
}

// The first acceptable result of a cuDNN finder (its results come sorted by time: the fastest); throws
// naming `what` and listing every result offered when none is acceptable.
template <typename Perf>
const Perf& pick_algorithm(const std::vector<Perf>& results, int returned, const std::string& what) {
  std::string seen;
  for (int i = 0; i < returned; ++i) {
    const Perf& perf = results[static_cast<size_t>(i)];
    if (acceptable_algorithm(perf)) return perf;
    seen += fmt::format(" {}(status {}, math {}, {}, {} bytes)", algorithm_name(perf.algo),
                        cudnnGetErrorString(perf.status), static_cast<int>(perf.mathType),
                        perf.determinism == CUDNN_DETERMINISTIC ? "deterministic" : "non-deterministic",
                        perf.memory);
  }
  FT_THROW(
      "{}: cuDNN offers no acceptable algorithm (wanted: success, fp32 FMA math, deterministic{}); found:{}",
      what, kAllowTransformAlgorithms ? "" : ", no FFT/Winograd", seen.empty() ? " none" : seen);
}

}  // namespace ftcnn
