// conv2d on CUDA: cuDNN's legacy convolution API, strict fp32, plus a bias kernel (kernels/elementwise.cuh).
//
// prepare_cuda (once per input shape: runners keep the plan for their life) builds the tensor, filter and
// convolution descriptors (CUDNN_FMA_MATH: plain fp32, no TF32 tensor cores), times the algorithms with
// cudnnFindConvolutionForwardAlgorithm, keeps the fastest acceptable one (engine/cuda/cudnn_algorithms.hpp:
// strict fp32 math, deterministic, no FFT / Winograd) and grows the context's shared workspace to what it
// needs. A pinned algorithm (a resumed campaign's, ExecContext::pinned_algorithms) is taken instead of
// timing, so that a resumed campaign computes with the algorithm its log records. forward_cuda only enqueues
// cudnnConvolutionForward and the bias kernel on the context's stream: no allocation, no synchronisation.
// A hardened layer runs one convolution per copy set, all of one shape (copy_groups.cuh), so that a copy
// carries its original's bits.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine/cuda/cuda_context.hpp"
#include "engine/cuda/cudnn_algorithms.hpp"
#include "engine/cuda/cudnn_descriptors.hpp"
#include "engine/layers/conv2d.hpp"
#include "engine/layers/copy_groups.cuh"
#include "kernels/elementwise.cuh"

namespace ftcnn {
namespace {

// The layer's cuDNN state for one input shape. A hardened layer (copy groups) convolves one group of rows
// at a time: its filter and output descriptors have the group's row count.
struct Conv2dCudaState final : LayerCudaState {
  Conv2dCudaState(const Shape& in, const Shape& out, const Conv2dAttributes& s)
      : input(in),
        output(out),
        filter(out[1], s.in_channels / s.groups, s.kernel[0], s.kernel[1]),
        convolution(s.padding[0], s.padding[1], s.stride[0], s.stride[1], s.groups) {}
  std::string algorithm() const override { return algorithm_name(algo); }

  TensorDescriptor input, output;  // output: [N, out, OH, OW], or [N, rows of a group, OH, OW]
  FilterDescriptor filter;
  ConvolutionDescriptor convolution;
  cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  size_t workspace_bytes = 0;
  int64_t batch = 0, channels = 0, plane = 0;  // of the layer's output
  std::unique_ptr<CopyGroupsDevice> groups;    // hardened, unless single_gemm_copies
};

}  // namespace

std::unique_ptr<LayerCudaState> Conv2d::prepare_cuda(const Shape& input, CudaContext& ctx,
                                                     const ExecContext& options) const {
  const Shape out = output_shape(input);
  try {
    // A grouped convolution's copies always run as whole-layer runs (copy_rows_whole_layer): one
    // convolution over originals and copies would not be a grouped convolution.
    const bool grouped =
        !copy_rows_.groups.empty() && (!options.single_gemm_copies || attributes().groups > 1);
    const int64_t rows = grouped ? static_cast<int64_t>(copy_rows_.groups.front().size()) : out[1];
    const Shape convolved{out[0], rows, out[2], out[3]};
    auto state = std::make_unique<Conv2dCudaState>(input, convolved, attributes());
    int n = 0, c = 0, h = 0, w = 0;
    FT_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(state->convolution.get(), state->input.get(),
                                                         state->filter.get(), &n, &c, &h, &w));
    FT_CHECK(Shape({n, c, h, w}) == convolved, "cuDNN computes output [{}, {}, {}, {}], the layer {}", n, c,
             h, w, convolved.str());
    const std::string* pin = nullptr;
    if (options.pinned_algorithms != nullptr) {
      const auto it = options.pinned_algorithms->find(algorithm_key(name(), input));
      if (it != options.pinned_algorithms->end()) pin = &it->second;
    }
    if (pin != nullptr) {
      // The algorithm a campaign log records: no timing, only its workspace.
      state->algo = forward_algorithm_from_name(*pin);
      FT_CHECK(sums_windows_directly(state->algo) || kAllowTransformAlgorithms,
               "pinned algorithm {} transforms its input (FFT / Winograd)", *pin);
      FT_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(
          ctx.cudnn(), state->input.get(), state->filter.get(), state->convolution.get(), state->output.get(),
          state->algo, &state->workspace_bytes));
    } else {
      // Time every algorithm once (cuDNN allocates its own scratch for this, synchronously) and keep the
      // fastest acceptable one.
      int max_count = 0;
      FT_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(ctx.cudnn(), &max_count));
      std::vector<cudnnConvolutionFwdAlgoPerf_t> results(static_cast<size_t>(std::max(max_count, 1)));
      int returned = 0;
      FT_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(
          ctx.cudnn(), state->input.get(), state->filter.get(), state->convolution.get(), state->output.get(),
          static_cast<int>(results.size()), &returned, results.data()));
      const cudnnConvolutionFwdAlgoPerf_t& best =
          pick_algorithm(results, returned, fmt::format("input {}", input.str()));
      state->algo = best.algo;
      // The finder's figure may describe another math type's kernel (an entry reported as default math):
      // reserve what the FMA descriptor actually asks for, too.
      size_t asked = 0;
      FT_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(ctx.cudnn(), state->input.get(),
                                                             state->filter.get(), state->convolution.get(),
                                                             state->output.get(), state->algo, &asked));
      state->workspace_bytes = std::max(best.memory, asked);
    }
    state->batch = out[0];
    state->channels = out[1];
    state->plane = out[2] * out[3];
    if (grouped) {
      state->groups = std::make_unique<CopyGroupsDevice>(
          copy_rows_,
          attributes().in_channels / attributes().groups * attributes().kernel[0] * attributes().kernel[1],
          convolved.numel(), ctx);
    }
    ctx.reserve_workspace(state->workspace_bytes);
    return state;
  } catch (const Error& e) {
    fail(e.what());
  }
}

void Conv2d::forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                          CudaContext& ctx) {
  auto* state = dynamic_cast<Conv2dCudaState*>(plan.cuda.get());
  if (state == nullptr) fail("forward_cuda before prepare_cuda");
  try {
    const float alpha = 1.0f, beta = 0.0f;
    FT_CHECK(ctx.workspace_bytes() >= state->workspace_bytes,
             "the context's workspace ({} bytes) is smaller than the {} bytes reserved in prepare",
             ctx.workspace_bytes(), state->workspace_bytes);
    const float* bias = bias_ >= 0 ? params(bias_) : nullptr;
    if (state->groups != nullptr) {
      // One convolution per copy set, each of one shape into the same scratch, scattered with the bias.
      CopyGroupsDevice& groups = *state->groups;
      groups.gather(params(weight_), ctx.stream());
      FT_LAUNCH_CHECK("weight row gather");
      for (int64_t g = 0; g < groups.groups; ++g) {
        FT_CUDNN_CHECK(cudnnConvolutionForward(
            ctx.cudnn(), &alpha, state->input.get(), in, state->filter.get(), groups.group_weights(g),
            state->convolution.get(), state->algo, ctx.workspace(), state->workspace_bytes, &beta,
            state->output.get(), groups.result.data()));
        groups.scatter(g, bias, state->batch, state->plane, state->channels, out, ctx.stream());
        FT_LAUNCH_CHECK("result scatter");
      }
      return;
    }
    FT_CUDNN_CHECK(cudnnConvolutionForward(ctx.cudnn(), &alpha, state->input.get(), in, state->filter.get(),
                                           params(weight_), state->convolution.get(), state->algo,
                                           ctx.workspace(), state->workspace_bytes, &beta,
                                           state->output.get(), out));
    // The bias in a second pass: y = conv + b[c], one float addition as on the CPU.
    if (bias != nullptr) {
      kernels::launch_add_channel_bias(out, bias, state->batch, state->channels, state->plane, ctx.stream());
      FT_LAUNCH_CHECK("bias kernel");
    }
  } catch (const Error& e) {
    fail(e.what());
  }
}

}  // namespace ftcnn
