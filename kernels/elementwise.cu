// Element-wise kernels: ReLU, per-channel bias, BatchNorm2d (eval). See elementwise.cuh for the contracts.
#include "kernels/elementwise.cuh"

#include "kernels/batchnorm_rules.cuh"
#include "kernels/launch_grid.cuh"

namespace ftcnn::kernels {
namespace {

// `in` and `out` may alias (in-place layers), so no __restrict__ on these kernels.

__global__ void relu_kernel(const float* in, float* out, int64_t count) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    out[i] = relu_apply(in[i]);  // NaN compares false: kept, as the CPU body
  }
}

// Flat over [outer, channels, inner]; element i belongs to channel (i / inner) % channels.
__global__ void add_channel_bias_kernel(float* data, const float* bias, int64_t count, int64_t channels,
                                        int64_t inner) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    data[i] = data[i] + bias[(i / inner) % channels];
  }
}

// Grid y walks the channels, grid x the batch * plane elements of one channel: element j of channel c is
// image n = j / plane, position p = j % plane, at (n * channels + c) * plane + p. So the scale and shift are
// computed (once, in double as the CPU body does) per thread and channel, not per element, and consecutive
// threads read consecutive positions of a plane.
__global__ void batchnorm2d_kernel(const float* in, float* out, const float* gamma, const float* beta,
                                   const float* mean, const float* var, double eps, int64_t batch,
                                   int64_t channels, int64_t plane) {
  const int64_t per_channel = batch * plane;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t c = blockIdx.y; c < channels; c += gridDim.y) {
    // Exactly the CPU body (batchnorm_rules.cuh): scale in double, rounded once to float; shift in float.
    const float scale = batchnorm_scale(gamma[c], var[c], eps);
    const float shift = batchnorm_shift(beta[c], mean[c], scale);
    for (int64_t j = first; j < per_channel; j += stride) {
      const int64_t n = j / plane;
      const int64_t index = (n * channels + c) * plane + (j - n * plane);
      out[index] = batchnorm_apply(in[index], scale, shift);
    }
  }
}

}  // namespace

void launch_relu(const float* in, float* out, int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  relu_kernel<<<grid_blocks(count, 4), kBlockThreads, 0, stream>>>(in, out, count);
}

void launch_add_channel_bias(float* data, const float* bias, int64_t outer, int64_t channels, int64_t inner,
                             cudaStream_t stream) {
  const int64_t count = outer * channels * inner;
  if (count <= 0) return;
  add_channel_bias_kernel<<<grid_blocks(count, 4), kBlockThreads, 0, stream>>>(data, bias, count, channels,
                                                                               inner);
}

void launch_batchnorm2d(const float* in, float* out, const float* gamma, const float* beta, const float* mean,
                        const float* var, double eps, int64_t batch, int64_t channels, int64_t plane,
                        cudaStream_t stream) {
  if (batch <= 0 || channels <= 0 || plane <= 0) return;
  constexpr int64_t kMaxGridY = 65535;  // CUDA's limit on gridDim.y; the kernel loops over the rest
  const int64_t blocks_y = std::min(channels, kMaxGridY);
  const int64_t max_x = std::max<int64_t>(1, kMaxBlocks / blocks_y);
  const dim3 grid(std::min<unsigned>(grid_blocks(batch * plane, 4), static_cast<unsigned>(max_x)),
                  static_cast<unsigned>(blocks_y));
  batchnorm2d_kernel<<<grid, kBlockThreads, 0, stream>>>(in, out, gamma, beta, mean, var, eps, batch,
                                                         channels, plane);
}

}  // namespace ftcnn::kernels
