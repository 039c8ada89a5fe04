#include "engine/cuda/cublas_gemm.hpp"

#include "engine/cuda/cudnn_descriptors.hpp"

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

void sgemm(cublasHandle_t handle, const kernels::ColMajorGemm& g, const float* a, const float* b, float* c) {
  const float one = 1.0f, zero = 0.0f;
  FT_CUBLAS_CHECK(cublasSgemm(handle, cublas_op(g.op_a), cublas_op(g.op_b), cudnn_int(g.m), cudnn_int(g.n),
                              cudnn_int(g.k), &one, a, cudnn_int(g.lda), b, cudnn_int(g.ldb), &zero, c,
                              cudnn_int(g.ldc)));
}

}  // namespace ftcnn
