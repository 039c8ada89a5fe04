// The index arithmetic of a hardened conv2d / linear layer on CUDA (engine/layers/copy_rows.hpp): the weight
// rows of every GEMM group gathered into one buffer, and each group's results scattered to their output
// channels. One element at a time, host and device alike, so that the CPU tests prove the kernels'
// arithmetic (test/test_copy_rows_kernels.cpp) without a GPU.
//
// Layouts: `groups` groups of `m` rows each; rows[g * m + i] is the weight row (= output channel) of row i of
// group g, -1 for a padding row. The gathered buffer holds group g at g * group_stride (group_stride >=
// m * row_length, a multiple of 64 floats, so that every group's block has the same alignment), row i of it
// at i * row_length. A group's result is [batch, m, inner] (NCHW with inner = OH * OW for conv2d, [N, m] with
// inner = 1 for linear); its row i goes to output channel channel_of_row[i] of [batch, channels, inner].
#pragma once

#include <cstdint>

#include "kernels/host_device.hpp"

namespace ftcnn::kernels {

// Element j of the gathered buffer [groups * group_stride]: the weight it holds, 0 for padding (a padding
// row, or the tail of a group's block beyond m * row_length).
FT_KERNEL_HD float gathered_weight(const float* weight, const int64_t* rows, int64_t m, int64_t row_length,
                                   int64_t group_stride, int64_t j) {
  const int64_t g = j / group_stride, offset = j - g * group_stride;
  const int64_t i = offset / row_length, column = offset - i * row_length;
  if (i >= m) return 0.0f;
  const int64_t row = rows[g * m + i];
  return row < 0 ? 0.0f : weight[row * row_length + column];
}

// Element e of a group's result [batch, m, inner]: its index in the output [batch, channels, inner], or -1
// for a padding row; `channel` receives the output channel (for the bias).
FT_KERNEL_HD int64_t scattered_index(const int64_t* channel_of_row, int64_t m, int64_t inner,
                                     int64_t channels, int64_t e, int64_t& channel) {
  const int64_t p = e % inner, row = e / inner;
  const int64_t n = row / m, i = row - n * m;
  channel = channel_of_row[i];
  return channel < 0 ? -1 : (n * channels + channel) * inner + p;
}

}  // namespace ftcnn::kernels
