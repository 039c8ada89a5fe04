#include "engine/blas.hpp"

#include <cblas.h>

namespace ftcnn {

void blas_sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, float alpha, const float* a, int lda,
                const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
              m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void blas_set_threads(int threads) {
  openblas_set_num_threads(threads);
}

}  // namespace ftcnn
