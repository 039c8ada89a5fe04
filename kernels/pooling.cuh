// 2-D pooling kernels (max and average) over NCHW planes, behind plain launchers: device pointers, the window
// geometry and a stream, no engine types. Launchers enqueue one kernel on `stream` and return; the caller
// checks the launch (FT_LAUNCH_CHECK).
//
// One thread per output element (grid-stride, 64-bit indices). The window of output (oh, ow) covers input
// rows [oh*stride_h - pad_h, +kernel_h) and columns [ow*stride_w - pad_w, +kernel_w), clipped to the plane;
// out_h / out_w come from the caller (floor mode). Both reductions visit the clipped window row by row,
// left to right, with the very functions the CPU body (engine/layers/pool_window.hpp) calls
// (kernels/pooling_bodies.hpp), so the results are bit-identical.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/pooling_bodies.hpp"  // Pool2dGeometry

namespace ftcnn::kernels {

// Max over the window; padding counts as -inf; a NaN in the window wins (the last NaN seen).
void launch_maxpool2d(const float* in, float* out, const Pool2dGeometry& g, cudaStream_t stream);
// Float sum over the clipped window divided by (float)(kernel_h * kernel_w) (count_include_pad).
void launch_avgpool2d(const float* in, float* out, const Pool2dGeometry& g, cudaStream_t stream);
// out[p] = global_avg_reduce of plane p (of `planes` planes of height x width), one thread per plane.
void launch_global_avgpool(const float* in, float* out, int64_t planes, int64_t height, int64_t width,
                           cudaStream_t stream);

}  // namespace ftcnn::kernels
