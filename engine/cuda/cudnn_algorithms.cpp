#include "engine/cuda/cudnn_algorithms.hpp"

#include "engine/enum_names.hpp"

namespace ftcnn {

namespace {

// The names the finders' results, the messages and a campaign log's pinned algorithms use.
constexpr EnumName<cudnnConvolutionFwdAlgo_t> kForwardAlgorithms[] = {
    {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, "IMPLICIT_GEMM"},
    {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, "IMPLICIT_PRECOMP_GEMM"},
    {CUDNN_CONVOLUTION_FWD_ALGO_GEMM, "GEMM"},
    {CUDNN_CONVOLUTION_FWD_ALGO_DIRECT, "DIRECT"},
    {CUDNN_CONVOLUTION_FWD_ALGO_FFT, "FFT"},
    {CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING, "FFT_TILING"},
    {CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, "WINOGRAD"},
    {CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, "WINOGRAD_NONFUSED"}};
constexpr EnumName<cudnnConvolutionBwdDataAlgo_t> kDataAlgorithms[] = {
    {CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, "ALGO_0"},
    {CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, "ALGO_1"},
    {CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT, "FFT"},
    {CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING, "FFT_TILING"},
    {CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD, "WINOGRAD"},
    {CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED, "WINOGRAD_NONFUSED"}};
constexpr EnumName<cudnnConvolutionBwdFilterAlgo_t> kFilterAlgorithms[] = {
    {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, "ALGO_0"},
    {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, "ALGO_1"},
    {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT, "FFT"},
    {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3, "ALGO_3"},
    {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD, "WINOGRAD"},
    {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED, "WINOGRAD_NONFUSED"},
    {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING, "FFT_TILING"}};

}  // namespace

const char* algorithm_name(cudnnConvolutionFwdAlgo_t algorithm) {
  return enum_name(kForwardAlgorithms, algorithm);
}

const char* algorithm_name(cudnnConvolutionBwdDataAlgo_t algorithm) {
  return enum_name(kDataAlgorithms, algorithm);
}

const char* algorithm_name(cudnnConvolutionBwdFilterAlgo_t algorithm) {
  return enum_name(kFilterAlgorithms, algorithm);
}

cudnnConvolutionFwdAlgo_t forward_algorithm_from_name(const std::string& name) {
  const cudnnConvolutionFwdAlgo_t* algorithm = enum_find(kForwardAlgorithms, name);
  if (algorithm == nullptr) FT_THROW("'{}' is not a cuDNN forward convolution algorithm", name);
  return *algorithm;
}

bool sums_windows_directly(cudnnConvolutionFwdAlgo_t algorithm) {
  switch (algorithm) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM:
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM:
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM:
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT:
      return true;
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT:
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING:
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD:
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED:
    case CUDNN_CONVOLUTION_FWD_ALGO_COUNT:
      return false;
  }
  return false;
}

bool sums_windows_directly(cudnnConvolutionBwdDataAlgo_t algorithm) {
  switch (algorithm) {
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_0:
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_1:
      return true;
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT:
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING:
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD:
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED:
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT:
      return false;
  }
  return false;
}

bool sums_windows_directly(cudnnConvolutionBwdFilterAlgo_t algorithm) {
  switch (algorithm) {
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0:
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1:
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3:
      return true;
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT:
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD:
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED:
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING:
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT:
      return false;
  }
  return false;
}

bool strict_fp32_math(cudnnMathType_t math) {
  switch (math) {
    case CUDNN_FMA_MATH:
    case CUDNN_DEFAULT_MATH:
      return true;
    case CUDNN_TENSOR_OP_MATH:
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION:
      return false;
  }
  return false;
}

}  // namespace ftcnn
