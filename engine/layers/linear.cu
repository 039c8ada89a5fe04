// linear on CUDA: one cuBLAS sgemm, then the bias added by a kernel (kernels/elementwise.cuh).
//
// cuBLAS is column-major. The row-major arrays x [N, in], W [out, in] and y [N, out] read column-major are
// x^T (in x N, ld in), W^T (in x out, ld in) and y^T (out x N, ld out); so y = x W^T is computed as
//   y^T = (W^T)^T x^T = op_T(W^T) * x^T:   m = out, n = N, k = in, A = W (transposed), B = x, C = y
// (kernels/gemm_dims.hpp's linear_forward_gemm, tested on the CPU against OpenBLAS).
// Strict fp32: the context sets CUBLAS_DEFAULT_MATH, under which sgemm never uses TF32.
// A hardened layer runs one sgemm per copy set, all of one shape (copy_groups.cuh), so that a copy carries
// its original's bits.
#include <limits>
#include <memory>

#include "engine/cuda/cublas_gemm.hpp"
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/copy_groups.cuh"
#include "engine/layers/linear.hpp"
#include "kernels/elementwise.cuh"
#include "kernels/gemm_dims.hpp"

namespace ftcnn {
namespace {

struct LinearCudaState final : LayerCudaState {
  std::unique_ptr<CopyGroupsDevice> groups;
};

}  // namespace

std::unique_ptr<LayerCudaState> Linear::prepare_cuda(const Shape& input, CudaContext& ctx,
                                                     const ExecContext& options) const {
  if (copy_rows_.groups.empty() || options.single_gemm_copies) return nullptr;
  try {
    auto state = std::make_unique<LinearCudaState>();
    const auto rows = static_cast<int64_t>(copy_rows_.groups.front().size());
    state->groups =
        std::make_unique<CopyGroupsDevice>(copy_rows_, attributes().in_channels, input[0] * rows, ctx);
    return state;
  } catch (const Error& e) {
    fail(e.what());
  }
}

void Linear::forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                          CudaContext& ctx) {
  const Shape& input = plan.input;
  const int64_t batch = input[0], in_features = attributes().in_channels,
                out_features = attributes().out_channels;
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  if (batch > kIntMax || in_features > kIntMax || out_features > kIntMax) {
    fail(fmt::format("input {} exceeds cuBLAS's 32-bit sizes", input.str()));
  }
  try {
    // y [N, rows] = x W_rows^T for `rows` consecutive weight rows starting at `weight`.
    const auto product = [&](const float* weight, int64_t rows, float* y) {
      sgemm(ctx.cublas(), kernels::linear_forward_gemm(batch, in_features, rows), weight, in, y);
    };
    const float* bias = bias_ >= 0 ? params(bias_) : nullptr;
    const auto* state = dynamic_cast<const LinearCudaState*>(plan.cuda.get());
    if (state != nullptr && state->groups != nullptr) {
      CopyGroupsDevice& groups = *state->groups;
      groups.gather(params(weight_), ctx.stream());
      FT_LAUNCH_CHECK("weight row gather");
      for (int64_t g = 0; g < groups.groups; ++g) {
        product(groups.group_weights(g), groups.rows, groups.result.data());
        groups.scatter(g, bias, batch, 1, out_features, out, ctx.stream());
        FT_LAUNCH_CHECK("result scatter");
      }
      return;
    }
    product(params(weight_), out_features, out);
    if (bias != nullptr) {
      kernels::launch_add_channel_bias(out, bias, batch, out_features, 1, ctx.stream());
      FT_LAUNCH_CHECK("bias kernel");
    }
  } catch (const Error& e) {
    fail(e.what());
  }
}

}  // namespace ftcnn
