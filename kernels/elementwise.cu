// Element-wise kernels: ReLU, per-channel bias, BatchNorm2d (eval). See elementwise.cuh for the contracts and
// elementwise_bodies.hpp for what each thread does per index; the kernels here only loop.
#include "kernels/elementwise.cuh"

#include "kernels/elementwise_bodies.hpp"
#include "kernels/launch_grid.hpp"

namespace ftcnn::kernels {
namespace {

// `in` and `out` may alias (in-place layers), so no __restrict__ on these kernels.

__global__ void relu_kernel(const float* in, float* out, int64_t count) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    relu_body(in, out, i);
  }
}

__global__ void relu6_kernel(const float* in, float* out, int64_t count) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    relu6_body(in, out, i);
  }
}

__global__ void leaky_relu_kernel(const float* in, float* out, int64_t count, float slope) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    leaky_relu_body(in, out, slope, i);
  }
}

__global__ void add_kernel(const float* a, const float* b, float* out, int64_t count) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    add_body(a, b, out, i);
  }
}

// Channel-major (launch_grid.hpp's channel_grid): grid y walks the channels, grid x the outer * inner
// elements of one channel, so the bias is read once per thread and channel and an element costs one 64-bit
// division (channel_element) instead of a division and a modulo. With inner == 1 (a linear layer's [N, F])
// consecutive threads touch elements `channels` apart; those tensors are small.
__global__ void add_channel_bias_kernel(float* data, const float* bias, int64_t outer, int64_t channels,
                                        int64_t inner) {
  const int64_t per_channel = outer * inner;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t c = blockIdx.y; c < channels; c += gridDim.y) {
    const float b = bias[c];
    for (int64_t j = first; j < per_channel; j += stride)
      add_channel_bias_body(data, b, c, j, channels, inner);
  }
}

// Channel-major as above: the scale and shift are computed (once, in double as the CPU body does) per thread
// and channel, not per element, and consecutive threads read consecutive positions of a plane.
__global__ void batchnorm2d_kernel(const float* in, float* out, const float* gamma, const float* beta,
                                   const float* mean, const float* var, double eps, int64_t batch,
                                   int64_t channels, int64_t plane) {
  const int64_t per_channel = batch * plane;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t c = blockIdx.y; c < channels; c += gridDim.y) {
    const BatchnormChannel bn = batchnorm_channel(gamma[c], beta[c], mean[c], var[c], eps);
    for (int64_t j = first; j < per_channel; j += stride)
      batchnorm2d_body(in, out, bn, c, j, channels, plane);
  }
}

dim3 to_dim3(GridShape g) {
  return dim3(g.x, g.y);
}

}  // namespace

void launch_relu(const float* in, float* out, int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  relu_kernel<<<grid_blocks(count, 4), kBlockThreads, 0, stream>>>(in, out, count);
}

void launch_relu6(const float* in, float* out, int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  relu6_kernel<<<grid_blocks(count, 4), kBlockThreads, 0, stream>>>(in, out, count);
}

void launch_leaky_relu(const float* in, float* out, int64_t count, float slope, cudaStream_t stream) {
  if (count <= 0) return;
  leaky_relu_kernel<<<grid_blocks(count, 4), kBlockThreads, 0, stream>>>(in, out, count, slope);
}

void launch_add(const float* a, const float* b, float* out, int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  add_kernel<<<grid_blocks(count, 4), kBlockThreads, 0, stream>>>(a, b, out, count);
}

void launch_add_channel_bias(float* data, const float* bias, int64_t outer, int64_t channels, int64_t inner,
                             cudaStream_t stream) {
  if (outer <= 0 || channels <= 0 || inner <= 0) return;
  add_channel_bias_kernel<<<to_dim3(channel_grid(outer * inner, channels)), kBlockThreads, 0, stream>>>(
      data, bias, outer, channels, inner);
}

void launch_batchnorm2d(const float* in, float* out, const float* gamma, const float* beta, const float* mean,
                        const float* var, double eps, int64_t batch, int64_t channels, int64_t plane,
                        cudaStream_t stream) {
  if (batch <= 0 || channels <= 0 || plane <= 0) return;
  batchnorm2d_kernel<<<to_dim3(channel_grid(batch * plane, channels)), kBlockThreads, 0, stream>>>(
      in, out, gamma, beta, mean, var, eps, batch, channels, plane);
}

}  // namespace ftcnn::kernels
