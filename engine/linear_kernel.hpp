// The CPU arithmetic of a fully connected layer, in one fixed order. Output row j of item n is
//
//   acc = bias[j] (0 without a bias);  for k = 0, 1, ..., in - 1:  acc = fma(weight[j][k], x[n][k], acc)
//
// one fused multiply-add chain over the inputs in ascending order, whatever the batch size, the thread
// count, which rows are computed or the instruction set (AVX-512, AVX2 + FMA or scalar fma: each rounds
// once per step, so all agree bit for bit). A row or an item computed alone therefore equals the same
// element of a whole layer's output: hardened copies equal their originals, and a campaign recomputes only
// the rows a fault touched (engine/fault/linear_tail.hpp). A BLAS sgemm promises none of this: its order
// changes with the matrix sizes and its kernels.
#pragma once

#include <cstdint>

namespace ftcnn {

enum class LinearIsa { scalar, avx2, avx512 };

// The widest instruction set this processor runs (the default of linear_forward).
LinearIsa best_linear_isa();
const char* linear_isa_name(LinearIsa isa);

struct LinearRows {
  const int64_t* rows = nullptr;  // weight rows to compute, in output order; nullptr: rows 0 .. count - 1
  int64_t count = 0;
};

// Floats of scratch linear_forward needs (the inputs repacked for the vector kernels, and accumulators).
int64_t linear_scratch_floats(int64_t items, int64_t in, int64_t rows, LinearIsa isa = best_linear_isa());

// out[n * out_stride + j] for n < items, j < rows.count: the chain above for weight row rows.rows[j] (or j)
// and input x[n * in .. n * in + in - 1]. weight is [out rows][in], row-major; bias may be nullptr; scratch
// holds linear_scratch_floats(items, in, rows.count) floats.
void linear_forward(const float* x, int64_t items, int64_t in, const float* weight, const float* bias,
                    const LinearRows& rows, float* out, int64_t out_stride, int threads, float* scratch);
// The same on a given instruction set (tests; one this processor lacks is refused).
void linear_forward(LinearIsa isa, const float* x, int64_t items, int64_t in, const float* weight,
                    const float* bias, const LinearRows& rows, float* out, int64_t out_stride, int threads,
                    float* scratch);

}  // namespace ftcnn
