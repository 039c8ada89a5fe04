// The rule that picks cuDNN convolution algorithms (engine/cuda/cudnn_algorithms.hpp), as pure functions of
// cuDNN's enums: it runs on the CPU of a CUDA build, no GPU needed. The case it exists for: cuDNN 9 may
// report CUDNN_DEFAULT_MATH for a descriptor that asked for CUDNN_FMA_MATH; refusing those would fail every
// convolution in prepare, while a TENSOR_OP math type (TF32 tensor cores) must never pass.
#include <catch2/catch.hpp>

#ifdef FTCNN_WITH_CUDA

#include <vector>

#include "engine/cuda/cudnn_algorithms.hpp"

namespace ftcnn {
namespace {

cudnnConvolutionFwdAlgoPerf_t perf(cudnnConvolutionFwdAlgo_t algo, cudnnMathType_t math,
                                   cudnnStatus_t status = CUDNN_STATUS_SUCCESS,
                                   cudnnDeterminism_t determinism = CUDNN_DETERMINISTIC) {
  cudnnConvolutionFwdAlgoPerf_t p{};
  p.algo = algo;
  p.status = status;
  p.mathType = math;
  p.determinism = determinism;
  p.memory = 1024;
  return p;
}

}  // namespace

TEST_CASE("cuDNN algorithms: FMA or default math, deterministic, no transforms", "[cudnn]") {
  CHECK(strict_fp32_math(CUDNN_FMA_MATH));
  CHECK(strict_fp32_math(CUDNN_DEFAULT_MATH));
  CHECK_FALSE(strict_fp32_math(CUDNN_TENSOR_OP_MATH));
  CHECK_FALSE(strict_fp32_math(CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION));

  CHECK(acceptable_algorithm(perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_FMA_MATH)));
  CHECK(acceptable_algorithm(perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_DEFAULT_MATH)));
  CHECK(acceptable_algorithm(perf(CUDNN_CONVOLUTION_FWD_ALGO_GEMM, CUDNN_FMA_MATH)));
  CHECK(acceptable_algorithm(perf(CUDNN_CONVOLUTION_FWD_ALGO_DIRECT, CUDNN_FMA_MATH)));
  CHECK_FALSE(acceptable_algorithm(perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_TENSOR_OP_MATH)));
  CHECK_FALSE(acceptable_algorithm(perf(CUDNN_CONVOLUTION_FWD_ALGO_FFT, CUDNN_FMA_MATH)));
  CHECK_FALSE(acceptable_algorithm(perf(CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING, CUDNN_FMA_MATH)));
  CHECK_FALSE(acceptable_algorithm(perf(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, CUDNN_FMA_MATH)));
  CHECK_FALSE(acceptable_algorithm(perf(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, CUDNN_FMA_MATH)));
  CHECK_FALSE(acceptable_algorithm(
      perf(CUDNN_CONVOLUTION_FWD_ALGO_GEMM, CUDNN_FMA_MATH, CUDNN_STATUS_NOT_SUPPORTED)));
  CHECK_FALSE(acceptable_algorithm(
      perf(CUDNN_CONVOLUTION_FWD_ALGO_GEMM, CUDNN_FMA_MATH, CUDNN_STATUS_SUCCESS, CUDNN_NON_DETERMINISTIC)));

  // The backward passes of the Eq. (1) reverse pass follow the same rule.
  cudnnConvolutionBwdDataAlgoPerf_t data{};
  data.algo = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
  data.status = CUDNN_STATUS_SUCCESS;
  data.mathType = CUDNN_DEFAULT_MATH;
  data.determinism = CUDNN_DETERMINISTIC;
  CHECK(acceptable_algorithm(data));
  data.algo = CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD;
  CHECK_FALSE(acceptable_algorithm(data));
  cudnnConvolutionBwdFilterAlgoPerf_t filter{};
  filter.algo = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
  filter.status = CUDNN_STATUS_SUCCESS;
  filter.mathType = CUDNN_TENSOR_OP_MATH;
  filter.determinism = CUDNN_DETERMINISTIC;
  CHECK_FALSE(acceptable_algorithm(filter));
  filter.mathType = CUDNN_FMA_MATH;
  CHECK(acceptable_algorithm(filter));
}

TEST_CASE("cuDNN algorithms: the fastest acceptable one is picked, or every offer is named", "[cudnn]") {
  // Finder results come sorted by time.
  const std::vector<cudnnConvolutionFwdAlgoPerf_t> results = {
      perf(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, CUDNN_FMA_MATH),
      perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_TENSOR_OP_MATH),
      perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_DEFAULT_MATH),
      perf(CUDNN_CONVOLUTION_FWD_ALGO_GEMM, CUDNN_FMA_MATH)};
  CHECK(pick_algorithm(results, 4, "test").algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM);
  CHECK_THROWS_WITH(pick_algorithm(results, 2, "layer x: input [1, 3, 8, 8]"),
                    Catch::Contains("layer x: input [1, 3, 8, 8]: cuDNN offers no acceptable algorithm") &&
                        Catch::Contains("WINOGRAD_NONFUSED") && Catch::Contains("IMPLICIT_GEMM"));
  CHECK_THROWS_WITH(pick_algorithm(results, 0, "none"), Catch::Contains("found: none"));
}

TEST_CASE("cuDNN forward algorithms round-trip through their names (pinned algorithms)", "[cudnn]") {
  for (int a = 0; a < CUDNN_CONVOLUTION_FWD_ALGO_COUNT; ++a) {
    const auto algorithm = static_cast<cudnnConvolutionFwdAlgo_t>(a);
    INFO(algorithm_name(algorithm));
    CHECK(forward_algorithm_from_name(algorithm_name(algorithm)) == algorithm);
  }
  CHECK_THROWS_WITH(forward_algorithm_from_name("FASTEST"),
                    Catch::Contains("'FASTEST' is not a cuDNN forward convolution algorithm"));
}

}  // namespace ftcnn

#endif  // FTCNN_WITH_CUDA
