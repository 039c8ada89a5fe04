// The CPU loop shared by maxpool2d and avgpool2d: visits every output element with its clipped input window.
#pragma once

#include <algorithm>
#include <cstdint>

#include "engine/model_spec.hpp"
#include "engine/tensor.hpp"

namespace ftcnn {

// reduce(plane, h0, h1, w0, w1) returns the output value for the input rows [h0, h1) and columns [w0, w1)
// of one [H, W] plane; the window is already clipped to the input.
template <typename Reduce>
void for_each_pool_window(const LayerSpec& spec, const Shape& input, const Shape& output, const float* in,
                          float* out, int threads, Reduce reduce) {
  const int64_t planes = input[0] * input[1], height = input[2], width = input[3];
  const int64_t out_h = output[2], out_w = output[3];
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const float* plane = in + p * height * width;
    float* dst = out + p * out_h * out_w;
    for (int64_t oh = 0; oh < out_h; ++oh) {
      const int64_t h_start = oh * spec.stride[0] - spec.padding[0];
      const int64_t h0 = std::max<int64_t>(h_start, 0), h1 = std::min(h_start + spec.kernel[0], height);
      for (int64_t ow = 0; ow < out_w; ++ow) {
        const int64_t w_start = ow * spec.stride[1] - spec.padding[1];
        const int64_t w0 = std::max<int64_t>(w_start, 0), w1 = std::min(w_start + spec.kernel[1], width);
        dst[oh * out_w + ow] = reduce(plane, width, h0, h1, w0, w1);
      }
    }
  }
}

}  // namespace ftcnn
