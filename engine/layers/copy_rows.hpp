// How a protected conv2d / linear layer computes its copies so that a fault-free copy equals its original
// bit for bit. A GEMM's result for one output row can depend on where the row sits in the matrix (OpenBLAS
// runs other micro-kernels, with another summation order, on the rows of a partial block): with originals and
// copies in one GEMM, fault-free copies differed from their originals by up to 640 ulps, which breaks
// the voter's and EDAC's equality test (found by test/fixtures/hardened_tmr_small.h5). So the rows are
// split into GEMMs of which the copied originals and each copy set have exactly the same shape:
//   [rows without a copy] [copied originals, in `copied` order] [copy set 1] ([copy set 2] for TMR).
// Weight row r is output channel r, as in the model file; only the grouping of the GEMMs changes.
#pragma once

#include <cstdint>
#include <vector>

namespace ftcnn {

struct CopyRows {
  // Weight rows (= output channels) per GEMM, in order; empty: one GEMM over all rows.
  std::vector<std::vector<int64_t>> groups;
  // The output channel of each row of the stacked GEMM results (the groups concatenated).
  std::vector<int64_t> channel_of_result_row;
};

// `originals` channels, `copied` their indices with copies, `copies` = 1 (edac) or 2 (tmr_vote).
CopyRows copy_rows(int64_t originals, const std::vector<int64_t>& copied, int copies);

// True when `rows` are consecutive (the GEMM can read the weight in place).
bool consecutive(const std::vector<int64_t>& rows);

}  // namespace ftcnn
