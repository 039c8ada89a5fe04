// Gather and scatter of a hardened layer's GEMM groups. See copy_rows.cuh; the per-element arithmetic is
// copy_rows_bodies.hpp, shared with the CPU tests.
#include "kernels/copy_rows.cuh"

#include "kernels/copy_rows_bodies.hpp"
#include "kernels/launch_grid.hpp"

namespace ftcnn::kernels {
namespace {

__global__ void gather_rows_kernel(const float* __restrict__ weight, const int64_t* __restrict__ rows,
                                   int64_t m, int64_t row_length, int64_t group_stride, int64_t count,
                                   float* __restrict__ gathered) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < count; j += stride) {
    gathered[j] = gathered_weight(weight, rows, m, row_length, group_stride, j);
  }
}

__global__ void scatter_rows_kernel(const float* __restrict__ result,
                                    const int64_t* __restrict__ channel_of_row,
                                    const float* __restrict__ bias, int64_t m, int64_t inner,
                                    int64_t channels, int64_t count, float* __restrict__ out) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < count; e += stride) {
    int64_t channel = -1;
    const int64_t to = scattered_index(channel_of_row, m, inner, channels, e, channel);
    if (to < 0) continue;
    out[to] = bias != nullptr ? result[e] + bias[channel] : result[e];
  }
}

}  // namespace

void launch_gather_rows(const float* weight, const int64_t* rows, int64_t groups, int64_t m,
                        int64_t row_length, int64_t group_stride, float* gathered, cudaStream_t stream) {
  const int64_t count = groups * group_stride;
  if (count <= 0 || row_length <= 0) return;
  gather_rows_kernel<<<grid_blocks(count, 4), kBlockThreads, 0, stream>>>(weight, rows, m, row_length,
                                                                          group_stride, count, gathered);
}

void launch_scatter_rows(const float* result, const int64_t* channel_of_row, const float* bias, int64_t batch,
                         int64_t m, int64_t inner, int64_t channels, float* out, cudaStream_t stream) {
  const int64_t count = batch * m * inner;
  if (count <= 0) return;
  scatter_rows_kernel<<<grid_blocks(count, 4), kBlockThreads, 0, stream>>>(result, channel_of_row, bias, m,
                                                                           inner, channels, count, out);
}

}  // namespace ftcnn::kernels
