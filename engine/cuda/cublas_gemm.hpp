// The engine's one way to call cublasSgemm: a column-major product described by kernels::ColMajorGemm
// (kernels/gemm_dims.hpp, where each row-major operation is turned into cuBLAS's arguments by a host
// function the CPU tests check against OpenBLAS), alpha 1 and beta 0, sizes checked against cuBLAS's int.
#pragma once

#include "engine/cuda/cuda_check.hpp"
#include "kernels/gemm_dims.hpp"

namespace ftcnn {

// C = op_a(A) op_b(B) as `g` describes, enqueued on the handle's stream; throws naming the failure.
void sgemm(cublasHandle_t handle, const kernels::ColMajorGemm& g, const float* a, const float* b, float* c);

}  // namespace ftcnn
