// linear on CUDA: one cuBLAS sgemm, then the bias added by a kernel (kernels/elementwise.cuh).
//
// cuBLAS is column-major. The row-major arrays x [N, in], W [out, in] and y [N, out] read column-major are
// x^T (in x N, ld in), W^T (in x out, ld in) and y^T (out x N, ld out); so y = x W^T is computed as
//   y^T = (W^T)^T x^T = op_T(W^T) * x^T:   m = out, n = N, k = in, A = W (transposed), B = x, C = y.
// Strict fp32: the context sets CUBLAS_DEFAULT_MATH, under which sgemm never uses TF32.
#include <limits>

#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/linear.hpp"
#include "kernels/elementwise.cuh"

namespace ftcnn {

void Linear::forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                          CudaContext& ctx) {
  const Shape& input = plan.input;
  const int64_t batch = input[0], in_features = spec_.in_channels, out_features = spec_.out_channels;
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  if (batch > kIntMax || in_features > kIntMax || out_features > kIntMax) {
    fail(fmt::format("input {} exceeds cuBLAS's 32-bit sizes", input.str()));
  }
  try {
    const float alpha = 1.0f, beta = 0.0f;
    FT_CUBLAS_CHECK(cublasSgemm(ctx.cublas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(out_features),
                                static_cast<int>(batch), static_cast<int>(in_features), &alpha,
                                params(weight_), static_cast<int>(in_features), in,
                                static_cast<int>(in_features), &beta, out, static_cast<int>(out_features)));
    if (bias_ >= 0) {
      kernels::launch_add_channel_bias(out, params(bias_), batch, out_features, 1, ctx.stream());
      FT_LAUNCH_CHECK("bias kernel");
    }
  } catch (const Error& e) {
    fail(e.what());
  }
}

}  // namespace ftcnn
