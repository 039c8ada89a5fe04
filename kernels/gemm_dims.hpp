// The arguments of every cuBLAS sgemm of the engine, as host functions without CUDA types, so that the CPU
// tests check them with OpenBLAS's column-major cblas_sgemm (test/test_kernel_bodies.cpp); the call sites
// (engine/layers/linear.cu, engine/vulnerability/cuda_reverse_pass.cpp) translate GemmOp to
// cublasOperation_t.
//
// cuBLAS is column-major, the engine's arrays row-major. A row-major [r, c] array read column-major is its
// transpose (c x r, leading dimension c). So the row-major product C [M, N] = op(L) op(R), L and R the left
// and right operands, is the column-major C^T (N x M) = op(R)^T op(L)^T: the column-major call takes the
// right operand R as its A and the left operand L as its B, with the same transposition flags, m = N, n = M,
// k = K, and leading dimensions the row lengths of the row-major arrays: lda = R's (trans_r ? K : N),
// ldb = L's (trans_l ? M : K), ldc = N.
#pragma once

#include <cstdint>

namespace ftcnn::kernels {

enum class GemmOp { none, transpose };

// One column-major sgemm: C (m x n, ldc) = op_a(A) (m x k) * op_b(B) (k x n), A with leading dimension lda,
// B with ldb. A is always the row-major right operand, B the left one.
struct ColMajorGemm {
  GemmOp op_a = GemmOp::none, op_b = GemmOp::none;
  int64_t m = 0, n = 0, k = 0;
  int64_t lda = 0, ldb = 0, ldc = 0;
};

// Row-major C [M, N] = op(L) op(R), L stored [M, K] (or [K, M] when trans_l), R stored [K, N] (or [N, K]
// when trans_r), C stored [M, N], all dense: the column-major call with A = R, B = L.
inline ColMajorGemm row_major_gemm(bool trans_l, bool trans_r, int64_t M, int64_t N, int64_t K) {
  ColMajorGemm g;
  g.op_a = trans_r ? GemmOp::transpose : GemmOp::none;
  g.op_b = trans_l ? GemmOp::transpose : GemmOp::none;
  g.m = N;
  g.n = M;
  g.k = K;
  g.lda = trans_r ? K : N;
  g.ldb = trans_l ? M : K;
  g.ldc = N;
  return g;
}

// Linear forward: y [batch, out] = x [batch, in] W^T, W [out, in]. A = W, B = x.
inline ColMajorGemm linear_forward_gemm(int64_t batch, int64_t in_features, int64_t out_features) {
  return row_major_gemm(false, true, batch, out_features, in_features);
}

// The Gram matrix of im2col columns: G [P, P] = cols^T cols, cols [k, P]. A = B = cols.
inline ColMajorGemm gram_gemm(int64_t plane, int64_t k) {
  return row_major_gemm(true, false, plane, plane, k);
}

// The Gram product: product [n, P] = D [n, P] G, G [P, P]. A = G, B = D.
inline ColMajorGemm gram_product_gemm(int64_t rows, int64_t plane) {
  return row_major_gemm(false, false, rows, plane, plane);
}

// The direct product: product [n, k] = D [n, P] cols^T, cols [k, P]. A = cols, B = D.
inline ColMajorGemm direct_product_gemm(int64_t rows, int64_t plane, int64_t k) {
  return row_major_gemm(false, true, rows, k, plane);
}

// A linear layer's input gradient: dx [examples, in] = dY [examples, out] W, W [out, in]. A = W, B = dY.
inline ColMajorGemm linear_input_gradient_gemm(int64_t examples, int64_t in_features, int64_t out_features) {
  return row_major_gemm(false, false, examples, in_features, out_features);
}

}  // namespace ftcnn::kernels
