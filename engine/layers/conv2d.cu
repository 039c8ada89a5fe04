// conv2d on CUDA: cuDNN's legacy convolution API, strict fp32, plus a bias kernel (kernels/elementwise.cuh).
//
// prepare_cuda (once per input shape) builds the tensor, filter and convolution descriptors, sets
// CUDNN_FMA_MATH on the convolution (plain fp32 FMA: no TF32 tensor cores, which CUDNN_DEFAULT_MATH allows on
// Ampere and later), times the algorithms with cudnnFindConvolutionForwardAlgorithm, keeps the fastest
// acceptable one and grows the context's shared workspace to what it needs. forward_cuda only enqueues
// cudnnConvolutionForward and the bias kernel on the context's stream: no allocation, no synchronisation.
//
// An algorithm is acceptable when cuDNN ran it successfully, reports CUDNN_FMA_MATH, is deterministic, and
// computes each output as the plain sum of products over its window (implicit GEMM, GEMM, direct): FFT and
// Winograd transform the input, so their rounding differs from the CPU's im2col + GEMM and, worse for fault
// injection, one Inf or NaN in the input spreads over a whole transform tile or plane instead of staying in
// the outputs whose window holds it. kAllowTransformAlgorithms opens them (faster on some layers).
#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/conv2d.hpp"
#include "kernels/elementwise.cuh"

namespace ftcnn {
namespace {

constexpr bool kAllowTransformAlgorithms = false;

// The layer's cuDNN state for one input shape. Members start null so that a prepare that fails half-way
// leaves an object whose destructor frees exactly what was created.
struct Conv2dCudaState final : LayerCudaState {
  cudnnTensorDescriptor_t input = nullptr;
  cudnnTensorDescriptor_t output = nullptr;
  cudnnFilterDescriptor_t filter = nullptr;
  cudnnConvolutionDescriptor_t convolution = nullptr;
  cudnnConvolutionFwdAlgo_t algorithm = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  size_t workspace_bytes = 0;
  int64_t batch = 0, channels = 0, plane = 0;  // of the output, for the bias kernel

  Conv2dCudaState() = default;
  Conv2dCudaState(const Conv2dCudaState&) = delete;
  Conv2dCudaState& operator=(const Conv2dCudaState&) = delete;
  ~Conv2dCudaState() override {
    if (convolution != nullptr && cudnnDestroyConvolutionDescriptor(convolution) != CUDNN_STATUS_SUCCESS) {
      report_in_destructor(__FILE__, __LINE__, "cudnnDestroyConvolutionDescriptor failed");
    }
    if (filter != nullptr && cudnnDestroyFilterDescriptor(filter) != CUDNN_STATUS_SUCCESS) {
      report_in_destructor(__FILE__, __LINE__, "cudnnDestroyFilterDescriptor failed");
    }
    if (output != nullptr && cudnnDestroyTensorDescriptor(output) != CUDNN_STATUS_SUCCESS) {
      report_in_destructor(__FILE__, __LINE__, "cudnnDestroyTensorDescriptor failed");
    }
    if (input != nullptr && cudnnDestroyTensorDescriptor(input) != CUDNN_STATUS_SUCCESS) {
      report_in_destructor(__FILE__, __LINE__, "cudnnDestroyTensorDescriptor failed");
    }
  }
};

const char* algorithm_name(cudnnConvolutionFwdAlgo_t algorithm) {
  switch (algorithm) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM:
      return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM:
      return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM:
      return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT:
      return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT:
      return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING:
      return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD:
      return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED:
      return "WINOGRAD_NONFUSED";
    case CUDNN_CONVOLUTION_FWD_ALGO_COUNT:
      break;
  }
  return "unknown";
}

// True for the algorithms that sum products over each output's window directly (see the file comment).
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

bool acceptable(const cudnnConvolutionFwdAlgoPerf_t& perf) {
  return perf.status == CUDNN_STATUS_SUCCESS && perf.mathType == CUDNN_FMA_MATH &&
         perf.determinism == CUDNN_DETERMINISTIC &&
         (kAllowTransformAlgorithms || sums_windows_directly(perf.algo));
}

int to_int(int64_t value) {
  FT_CHECK(value <= std::numeric_limits<int>::max(), "size {} exceeds cuDNN's 32-bit sizes", value);
  return static_cast<int>(value);
}

}  // namespace

void Conv2d::prepare_cuda(const Shape& input, CudaContext& ctx) {
  const LayerSpec& s = spec_;
  const Shape out = output_shape(input);
  cuda_state_.reset();  // a new shape: the old descriptors go first
  try {
    // cuDNN's legacy API indexes tensors with 32-bit strides.
    to_int(input.numel());
    to_int(out.numel());
    auto state = std::make_unique<Conv2dCudaState>();
    FT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&state->input));
    FT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(state->input, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                              to_int(input[0]), to_int(input[1]), to_int(input[2]),
                                              to_int(input[3])));
    FT_CUDNN_CHECK(cudnnCreateFilterDescriptor(&state->filter));
    FT_CUDNN_CHECK(cudnnSetFilter4dDescriptor(state->filter, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                              to_int(s.out_channels), to_int(s.in_channels),
                                              to_int(s.kernel[0]), to_int(s.kernel[1])));
    FT_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&state->convolution));
    // Cross-correlation (what nn.Conv2d computes), float accumulation, no dilation, no groups.
    FT_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
        state->convolution, to_int(s.padding[0]), to_int(s.padding[1]), to_int(s.stride[0]),
        to_int(s.stride[1]), 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    FT_CUDNN_CHECK(cudnnSetConvolutionMathType(state->convolution, CUDNN_FMA_MATH));

    int n = 0, c = 0, h = 0, w = 0;
    FT_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(state->convolution, state->input, state->filter, &n,
                                                         &c, &h, &w));
    FT_CHECK(Shape({n, c, h, w}) == out, "cuDNN computes output [{}, {}, {}, {}], the layer {}", n, c, h, w,
             out.str());
    FT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&state->output));
    FT_CUDNN_CHECK(
        cudnnSetTensor4dDescriptor(state->output, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w));

    // Time every algorithm once (cuDNN allocates its own scratch for this, synchronously) and keep the
    // fastest acceptable one; results come sorted by time.
    int max_count = 0;
    FT_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(ctx.cudnn(), &max_count));
    std::vector<cudnnConvolutionFwdAlgoPerf_t> results(static_cast<size_t>(std::max(max_count, 1)));
    int returned = 0;
    FT_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(
        ctx.cudnn(), state->input, state->filter, state->convolution, state->output,
        static_cast<int>(results.size()), &returned, results.data()));
    const cudnnConvolutionFwdAlgoPerf_t* best = nullptr;
    std::string seen;
    for (int i = 0; i < returned; ++i) {
      const cudnnConvolutionFwdAlgoPerf_t& perf = results[static_cast<size_t>(i)];
      seen += fmt::format(" {}(status {}, math {}, {} bytes)", algorithm_name(perf.algo),
                          cudnnGetErrorString(perf.status), static_cast<int>(perf.mathType), perf.memory);
      if (best == nullptr && acceptable(perf)) best = &perf;
    }
    FT_CHECK(best != nullptr,
             "cuDNN offers no acceptable algorithm for input {} (wanted: success, CUDNN_FMA_MATH, "
             "deterministic{}); found:{}",
             input.str(), kAllowTransformAlgorithms ? "" : ", no FFT/Winograd",
             seen.empty() ? " none" : seen);
    state->algorithm = best->algo;
    state->workspace_bytes = best->memory;
    state->batch = out[0];
    state->channels = out[1];
    state->plane = out[2] * out[3];
    ctx.reserve_workspace(state->workspace_bytes);
    cuda_state_ = std::move(state);
  } catch (const Error& e) {
    fail(e.what());
  }
}

void Conv2d::forward_cuda(const Shape&, const ParameterView& params, const float* in, float* out,
                          CudaContext& ctx) {
  const auto* state = dynamic_cast<const Conv2dCudaState*>(cuda_state_.get());
  if (state == nullptr) fail("forward_cuda before prepare_cuda");
  try {
    const float alpha = 1.0f, beta = 0.0f;
    FT_CHECK(ctx.workspace_bytes() >= state->workspace_bytes,
             "the context's workspace ({} bytes) is smaller than the {} bytes reserved in prepare",
             ctx.workspace_bytes(), state->workspace_bytes);
    FT_CUDNN_CHECK(cudnnConvolutionForward(
        ctx.cudnn(), &alpha, state->input, in, state->filter, params(weight_), state->convolution,
        state->algorithm, ctx.workspace(), state->workspace_bytes, &beta, state->output, out));
    // The bias in a second pass: y = conv + b[c], one float addition as on the CPU.
    if (bias_ >= 0) {
      kernels::launch_add_channel_bias(out, params(bias_), state->batch, state->channels, state->plane,
                                       ctx.stream());
      FT_LAUNCH_CHECK("bias kernel");
    }
  } catch (const Error& e) {
    fail(e.what());
  }
}

}  // namespace ftcnn
