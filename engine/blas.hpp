// The one place the CPU backend reaches BLAS (OpenBLAS through CBLAS), row-major single precision.
#pragma once

namespace ftcnn {

// C[m x n] = alpha * op(A) * op(B) + beta * C, all row-major; lda/ldb/ldc are row strides.
void blas_sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, float alpha, const float* a, int lda,
                const float* b, int ldb, float beta, float* c, int ldc);

void blas_set_threads(int threads);

}  // namespace ftcnn
