// The per-index bodies of the pooling kernels (kernels/pooling.cu) and the window rules the CPU pooling
// layers (engine/layers/pool_window.hpp, maxpool2d.cpp, avgpool2d.cpp) and both reverse passes share: host
// and device (kernels/host_device.hpp), so CPU and GPU reduce the same window in the same order by
// construction.
//
// Output element i of [planes, out_h, out_w] is ow = i % out_w, oh = (i / out_w) % out_h,
// plane = i / (out_w * out_h). Its window covers input rows [oh * stride_h - pad_h, + kernel_h) and columns
// [ow * stride_w - pad_w, + kernel_w), clipped to the plane (possibly empty when the padding exceeds the
// kernel); the reducers visit it row by row, left to right.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.hpp"

namespace ftcnn::kernels {

struct Pool2dGeometry {
  int64_t planes = 0;  // batch * channels
  int64_t height = 0, width = 0;
  int64_t out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
};

// A half-open range [begin, end) of positions along one axis.
struct Span {
  int64_t begin = 0, end = 0;
};

// The input positions of output o's window along one axis, [o * stride - pad, + kernel) clipped to
// [0, size).
FT_KERNEL_HD Span clip_window(int64_t o, int64_t kernel, int64_t stride, int64_t pad, int64_t size) {
  const int64_t start = o * stride - pad;
  Span s;
  s.begin = max64(start, 0);
  s.end = min64(start + kernel, size);
  return s;
}

// A window clipped to its plane: rows [h0, h1), columns [w0, w1).
struct PoolWindow {
  int64_t h0 = 0, h1 = 0, w0 = 0, w1 = 0;
};

FT_KERNEL_HD PoolWindow pool_window(int64_t oh, int64_t ow, int64_t kernel_h, int64_t kernel_w,
                                    int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w,
                                    int64_t height, int64_t width) {
  const Span rows = clip_window(oh, kernel_h, stride_h, pad_h, height);
  const Span cols = clip_window(ow, kernel_w, stride_w, pad_w, width);
  PoolWindow w;
  w.h0 = rows.begin;
  w.h1 = rows.end;
  w.w0 = cols.begin;
  w.w1 = cols.end;
  return w;
}

// The position of output element i of [planes, out_h, out_w].
struct PoolOutput {
  int64_t plane = 0, oh = 0, ow = 0;
};

FT_KERNEL_HD PoolOutput pool_output(int64_t i, int64_t out_h, int64_t out_w) {
  const Index3 c = split_index(i, out_h, out_w);
  return {c.outer, c.middle, c.inner};
}

// Max over the window, starting from -inf (an empty window gives -inf); a NaN always takes over, so the
// last NaN seen wins.
FT_KERNEL_HD float max_reduce(const float* plane, int64_t width, PoolWindow w) {
  float best = -INFINITY;
  for (int64_t h = w.h0; h < w.h1; ++h) {
    for (int64_t x = w.w0; x < w.w1; ++x) {
      const float v = plane[h * width + x];
      if (v > best || is_nan(v)) best = v;
    }
  }
  return best;
}

// The float sum over the window, in order, divided by `divisor` (IEEE division).
FT_KERNEL_HD float avg_reduce(const float* plane, int64_t width, PoolWindow w, float divisor) {
  float sum = 0.0f;
  for (int64_t h = w.h0; h < w.h1; ++h) {
    for (int64_t x = w.w0; x < w.w1; ++x) sum += plane[h * width + x];
  }
  return sum / divisor;
}

// The mean of a whole h x w plane: the float sum row by row, divided by h * w. PyTorch's adaptive average
// pooling to 1 x 1 is `mean` over the plane, whose vectorised sum runs in an order that depends on the
// processor's vector width, so it agrees to rounding, not bit for bit.
FT_KERNEL_HD float global_avg_reduce(const float* plane, int64_t h, int64_t w) {
  float sum = 0.0f;
  for (int64_t k = 0; k < h * w; ++k) sum += plane[k];
  return sum / static_cast<float>(h * w);
}

// count_include_pad: every window divides by its full size, padding included.
FT_KERNEL_HD float avg_divisor(int64_t kernel_h, int64_t kernel_w) {
  return static_cast<float>(kernel_h * kernel_w);
}

// The max-pool forward's choice with its position: the first strictly larger value of the window in
// row-major order, starting from -inf, a NaN always taking over (so `value` is max_reduce's result). `at`
// is h * width + w in the plane; an empty or all -inf window routes to its first element (h0, w0).
struct WindowMax {
  float value = 0.0f;
  int64_t at = 0;
};

FT_KERNEL_HD WindowMax window_argmax(const float* plane, int64_t width, PoolWindow w) {
  WindowMax m;
  m.value = -INFINITY;
  m.at = w.h0 * width + w.w0;
  for (int64_t h = w.h0; h < w.h1; ++h) {
    for (int64_t x = w.w0; x < w.w1; ++x) {
      const float v = plane[h * width + x];
      if (v > m.value || is_nan(v)) {
        m.value = v;
        m.at = h * width + x;
      }
    }
  }
  return m;
}

FT_KERNEL_HD PoolWindow pool_window(const Pool2dGeometry& g, int64_t oh, int64_t ow) {
  return pool_window(oh, ow, g.kernel_h, g.kernel_w, g.stride_h, g.stride_w, g.pad_h, g.pad_w, g.height,
                     g.width);
}

// maxpool2d_kernel, output index i.
FT_KERNEL_HD void maxpool2d_body(const float* in, float* out, const Pool2dGeometry& g, int64_t i) {
  const PoolOutput o = pool_output(i, g.out_h, g.out_w);
  out[i] = max_reduce(in + o.plane * g.height * g.width, g.width, pool_window(g, o.oh, o.ow));
}

// avgpool2d_kernel, output index i; divisor = avg_divisor(g.kernel_h, g.kernel_w).
FT_KERNEL_HD void avgpool2d_body(const float* in, float* out, const Pool2dGeometry& g, float divisor,
                                 int64_t i) {
  const PoolOutput o = pool_output(i, g.out_h, g.out_w);
  out[i] = avg_reduce(in + o.plane * g.height * g.width, g.width, pool_window(g, o.oh, o.ow), divisor);
}

}  // namespace ftcnn::kernels
