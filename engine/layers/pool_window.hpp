// The CPU loop shared by maxpool2d and avgpool2d: visits every output element with its clipped input window.
// The window and the reducers are kernels/pooling_bodies.hpp's, the functions the CUDA kernels call.
#pragma once

#include <cstdint>

#include "engine/layers/attributes.hpp"
#include "engine/tensor.hpp"
#include "kernels/pooling_bodies.hpp"

namespace ftcnn {

// reduce(plane, width, window) returns the output value for the input rows [window.h0, window.h1) and
// columns [window.w0, window.w1) of one [H, W] plane; the window is already clipped to the input.
template <typename Reduce>
void for_each_pool_window(const WindowSpec& spec, const Shape& input, const Shape& output, const float* in,
                          float* out, int threads, Reduce reduce) {
  const int64_t planes = input[0] * input[1], height = input[2], width = input[3];
  const int64_t out_h = output[2], out_w = output[3];
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const float* plane = in + p * height * width;
    float* dst = out + p * out_h * out_w;
    for (int64_t oh = 0; oh < out_h; ++oh) {
      for (int64_t ow = 0; ow < out_w; ++ow) {
        const kernels::PoolWindow window =
            kernels::pool_window(oh, ow, spec.kernel[0], spec.kernel[1], spec.stride[0], spec.stride[1],
                                 spec.padding[0], spec.padding[1], height, width);
        dst[oh * out_w + ow] = reduce(plane, width, window);
      }
    }
  }
}

}  // namespace ftcnn
