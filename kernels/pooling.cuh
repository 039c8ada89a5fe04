// 2-D pooling kernels (max and average) over NCHW planes, behind plain launchers: device pointers, the window
// geometry and a stream, no engine types. Launchers enqueue one kernel on `stream` and return; the caller
// checks the launch (FT_LAUNCH_CHECK).
//
// One thread per output element (grid-stride, 64-bit indices). The window of output (oh, ow) covers input
// rows [oh*stride_h - pad_h, +kernel_h) and columns [ow*stride_w - pad_w, +kernel_w), clipped to the plane;
// out_h / out_w come from the caller (floor mode). Both reductions visit the clipped window row by row,
// left to right, as the CPU body (engine/layers/pool_window.hpp) does, so the results are bit-identical.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace ftcnn::kernels {

struct Pool2dGeometry {
  int64_t planes = 0;  // batch * channels
  int64_t height = 0, width = 0;
  int64_t out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
};

// Max over the window; padding counts as -inf; a NaN in the window wins (the last NaN seen).
void launch_maxpool2d(const float* in, float* out, const Pool2dGeometry& g, cudaStream_t stream);
// Float sum over the clipped window divided by (float)(kernel_h * kernel_w) (count_include_pad).
void launch_avgpool2d(const float* in, float* out, const Pool2dGeometry& g, cudaStream_t stream);

}  // namespace ftcnn::kernels
