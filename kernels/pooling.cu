// Max and average 2-D pooling. See pooling.cuh for the contracts and pooling_bodies.hpp for the per-index
// bodies (index decomposition, clipped window, reducers), which the CPU layers share; the kernels only loop.
#include "kernels/pooling.cuh"

#include "kernels/launch_grid.hpp"
#include "kernels/pooling_bodies.hpp"

namespace ftcnn::kernels {
namespace {

__global__ void maxpool2d_kernel(const float* __restrict__ in, float* __restrict__ out,
                                 const Pool2dGeometry g) {
  const int64_t count = g.planes * g.out_h * g.out_w;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    maxpool2d_body(in, out, g, i);
  }
}

__global__ void avgpool2d_kernel(const float* __restrict__ in, float* __restrict__ out,
                                 const Pool2dGeometry g) {
  const int64_t count = g.planes * g.out_h * g.out_w;
  const float divisor = avg_divisor(g.kernel_h, g.kernel_w);
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    avgpool2d_body(in, out, g, divisor, i);
  }
}

__global__ void global_avgpool_kernel(const float* __restrict__ in, float* __restrict__ out, int64_t planes,
                                      int64_t height, int64_t width) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; p < planes; p += stride) {
    out[p] = global_avg_reduce(in + p * height * width, height, width);
  }
}

}  // namespace

void launch_maxpool2d(const float* in, float* out, const Pool2dGeometry& g, cudaStream_t stream) {
  const int64_t count = g.planes * g.out_h * g.out_w;
  if (count <= 0) return;
  maxpool2d_kernel<<<grid_blocks(count), kBlockThreads, 0, stream>>>(in, out, g);
}

void launch_avgpool2d(const float* in, float* out, const Pool2dGeometry& g, cudaStream_t stream) {
  const int64_t count = g.planes * g.out_h * g.out_w;
  if (count <= 0) return;
  avgpool2d_kernel<<<grid_blocks(count), kBlockThreads, 0, stream>>>(in, out, g);
}

void launch_global_avgpool(const float* in, float* out, int64_t planes, int64_t height, int64_t width,
                           cudaStream_t stream) {
  if (planes <= 0) return;
  global_avgpool_kernel<<<grid_blocks(planes), kBlockThreads, 0, stream>>>(in, out, planes, height, width);
}

}  // namespace ftcnn::kernels
