// linear on CUDA: one cuBLAS sgemm, then the bias added by a kernel (kernels/elementwise.cuh).
//
// cuBLAS is column-major. The row-major arrays x [N, in], W [out, in] and y [N, out] read column-major are
// x^T (in x N, ld in), W^T (in x out, ld in) and y^T (out x N, ld out); so y = x W^T is computed as
//   y^T = (W^T)^T x^T = op_T(W^T) * x^T:   m = out, n = N, k = in, A = W (transposed), B = x, C = y
// (kernels/gemm_dims.hpp's linear_forward_gemm, tested on the CPU against OpenBLAS).
// Strict fp32: the context sets CUBLAS_DEFAULT_MATH, under which sgemm never uses TF32.
#include <limits>

#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/linear.hpp"
#include "kernels/elementwise.cuh"
#include "kernels/gemm_dims.hpp"

namespace ftcnn {
namespace {

cublasOperation_t cublas_op(kernels::GemmOp op) {
  switch (op) {
    case kernels::GemmOp::none:
      return CUBLAS_OP_N;
    case kernels::GemmOp::transpose:
      return CUBLAS_OP_T;
  }
  return CUBLAS_OP_N;  // unreachable: the switch covers every value
}

}  // namespace

void Linear::forward_cuda(const Shape& input, const ParameterView& params, const float* in, float* out,
                          CudaContext& ctx) {
  const int64_t batch = input[0], in_features = spec_.in_channels, out_features = spec_.out_channels;
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  if (batch > kIntMax || in_features > kIntMax || out_features > kIntMax) {
    fail(fmt::format("input {} exceeds cuBLAS's 32-bit sizes", input.str()));
  }
  try {
    const float alpha = 1.0f, beta = 0.0f;
    const kernels::ColMajorGemm g = kernels::linear_forward_gemm(batch, in_features, out_features);
    FT_CUBLAS_CHECK(cublasSgemm(ctx.cublas(), cublas_op(g.op_a), cublas_op(g.op_b), static_cast<int>(g.m),
                                static_cast<int>(g.n), static_cast<int>(g.k), &alpha, params(weight_),
                                static_cast<int>(g.lda), in, static_cast<int>(g.ldb), &beta, out,
                                static_cast<int>(g.ldc)));
    if (bias_ >= 0) {
      kernels::launch_add_channel_bias(out, params(bias_), batch, out_features, 1, ctx.stream());
      FT_LAUNCH_CHECK("bias kernel");
    }
  } catch (const Error& e) {
    fail(e.what());
  }
}

}  // namespace ftcnn
