// How a protected conv2d / linear layer computes its copies so that a fault-free copy equals its original
// bit for bit. A GEMM's result for one output row can depend on where the row sits in the matrix and on the
// matrix's shape (OpenBLAS picks micro-kernels and summation orders by position): with originals and copies
// in one GEMM, fault-free copies differed from their originals by up to 640 ulps, which breaks the voter's
// and EDAC's equality test (found by test/fixtures/hardened_tmr_small.h5). So a hardened layer runs one GEMM
// per copy set plus one for the copied originals, all of the same shape, with the copied originals and each
// copy set in the same leading rows:
//   GEMM 0: [copied originals, in `copied` order] [a share of the rows without a copy] [padding]
//   GEMM 1: [copy set 1]                          [the next share]                     [padding]
//   GEMM 2: [copy set 2 (TMR)]                    [the last share]                     [padding]
// The rows without a copy are spread over the GEMMs so that there are only copies + 1 of them, each as
// large as possible (every GEMM packs the whole im2col operand again); a padding row (-1) is a zero row
// whose result is dropped. Weight row r is output channel r, as in the model file.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace ftcnn {

struct CopyRows {
  // Weight rows (= output channels) per GEMM, -1 for a padding row; all groups have the same size. Empty:
  // one GEMM over all rows.
  std::vector<std::vector<int64_t>> groups;
  // The output channel of each row of the stacked GEMM results (the groups concatenated), -1 for padding.
  std::vector<int64_t> channel_of_result_row;
};

// `originals` channels, `copied` their indices with copies, `copies` = 1 (edac) or 2 (tmr_vote).
CopyRows copy_rows(int64_t originals, const std::vector<int64_t>& copied, int copies);

// The same for a grouped convolution, where a copy of a channel has to read its group's input channels and
// only the whole grouped convolution does: every run is the whole layer. Run 0 computes the originals
// (weight rows 0 .. originals - 1, every result row kept); run j (1 .. copies) the same rows with each copied
// channel's row replaced by its j-th copy's, keeping only those results (the rest is -1, dropped). A copy
// sits where its original sits, in a run of the same shape: equal bits, fault-free. It costs copies + 1
// passes of the layer, whatever the ratio (the depthwise and grouped layers of the networks that have them
// are a small part of the work).
CopyRows copy_rows_whole_layer(int64_t originals, const std::vector<int64_t>& copied, int copies);

// `rows` (from copy_rows) with every group grown by padding rows (-1) to a multiple of `multiple` rows, for
// oneDNN, whose blocked layouts compute output channels in whole blocks anyway (conv2d_onednn.cpp says
// which multiple where). Equal groups stay equal, so copies keep their originals' positions and shapes.
CopyRows padded_groups(const CopyRows& rows, int64_t multiple);

// The (original, copy) output channel pairs that `rows` (from copy_rows) describe.
std::vector<std::pair<int64_t, int64_t>> copy_pairs(const CopyRows& rows);

// True when `rows` are consecutive weight rows (the GEMM can read the weight in place).
bool consecutive(const std::vector<int64_t>& rows);

// The weight rows `rows` of `weight` (`row_length` floats each) as one block: in place where they are
// consecutive, else copied into `buffer` one after another (a padding row, -1, as zeros).
const float* rows_of(const float* weight, const std::vector<int64_t>& rows, int64_t row_length,
                     float* buffer);

}  // namespace ftcnn
