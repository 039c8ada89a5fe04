// The kernels of a hardened conv2d / linear layer on CUDA (engine/layers/copy_rows.hpp): gather the weight
// rows of every GEMM group, scatter a group's results to their output channels. Plain launchers: device
// pointers, sizes, a stream; the caller checks the launch. Index arithmetic: kernels/copy_rows_bodies.hpp.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace ftcnn::kernels {

// gathered[0, groups * group_stride) from weight rows (rows: groups * m entries, -1 = padding, zeros).
void launch_gather_rows(const float* weight, const int64_t* rows, int64_t groups, int64_t m,
                        int64_t row_length, int64_t group_stride, float* gathered, cudaStream_t stream);

// out[n, channel_of_row[i], p] = result[n, i, p] (+ bias[channel] when bias is not null: one float addition,
// as the unhardened layers' bias kernel), for every row i with channel_of_row[i] >= 0.
void launch_scatter_rows(const float* result, const int64_t* channel_of_row, const float* bias, int64_t batch,
                         int64_t m, int64_t inner, int64_t channels, float* out, cudaStream_t stream);

}  // namespace ftcnn::kernels
