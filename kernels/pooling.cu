// Max and average 2-D pooling. See pooling.cuh for the contracts.
#include "kernels/pooling.cuh"

#include "kernels/launch_grid.cuh"

namespace ftcnn::kernels {
namespace {

// Output element i of [planes, out_h, out_w]: ow = i % out_w, oh = (i / out_w) % out_h,
// plane = i / (out_w * out_h). `reduce` gets the plane and the window clipped to it.
template <typename Reduce>
__device__ __forceinline__ void for_each_output(const float* __restrict__ in, float* __restrict__ out,
                                                const Pool2dGeometry g, Reduce reduce) {
  const int64_t count = g.planes * g.out_h * g.out_w;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    const int64_t ow = i % g.out_w;
    const int64_t rest = i / g.out_w;
    const int64_t oh = rest % g.out_h;
    const int64_t plane = rest / g.out_h;
    const int64_t h_start = oh * g.stride_h - g.pad_h, w_start = ow * g.stride_w - g.pad_w;
    const int64_t h0 = max(h_start, int64_t{0}), h1 = min(h_start + g.kernel_h, g.height);
    const int64_t w0 = max(w_start, int64_t{0}), w1 = min(w_start + g.kernel_w, g.width);
    out[i] = reduce(in + plane * g.height * g.width, h0, h1, w0, w1);
  }
}

struct MaxReduce {
  int64_t width;
  __device__ float operator()(const float* plane, int64_t h0, int64_t h1, int64_t w0, int64_t w1) const {
    float best = -INFINITY;
    for (int64_t h = h0; h < h1; ++h) {
      for (int64_t w = w0; w < w1; ++w) {
        const float v = plane[h * width + w];
        if (v > best || isnan(v)) best = v;
      }
    }
    return best;
  }
};

struct AvgReduce {
  int64_t width;
  float divisor;
  __device__ float operator()(const float* plane, int64_t h0, int64_t h1, int64_t w0, int64_t w1) const {
    float sum = 0.0f;
    for (int64_t h = h0; h < h1; ++h) {
      for (int64_t w = w0; w < w1; ++w) sum += plane[h * width + w];
    }
    return sum / divisor;  // IEEE division (no fast math), as on the CPU
  }
};

__global__ void maxpool2d_kernel(const float* __restrict__ in, float* __restrict__ out,
                                 const Pool2dGeometry g) {
  for_each_output(in, out, g, MaxReduce{g.width});
}

__global__ void avgpool2d_kernel(const float* __restrict__ in, float* __restrict__ out,
                                 const Pool2dGeometry g) {
  for_each_output(in, out, g, AvgReduce{g.width, static_cast<float>(g.kernel_h * g.kernel_w)});
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

}  // namespace ftcnn::kernels
