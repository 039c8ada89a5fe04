#include "engine/layers/window.hpp"

#include <algorithm>

namespace ftcnn {

kernels::Window window_of(const WindowSpec& spec, const Shape& in, const Shape& out) {
  kernels::Window w;
  w.channels = in[1];
  w.height = in[2];
  w.width = in[3];
  w.out_h = out[2];
  w.out_w = out[3];
  w.kernel_h = spec.kernel[0];
  w.kernel_w = spec.kernel[1];
  w.stride_h = spec.stride[0];
  w.stride_w = spec.stride[1];
  w.pad_h = spec.padding[0];
  w.pad_w = spec.padding[1];
  return w;
}

kernels::Pool2dGeometry pool_geometry_of(const WindowSpec& spec, const Shape& in, const Shape& out) {
  const kernels::Window w = window_of(spec, in, out);
  kernels::Pool2dGeometry g;
  g.planes = in[0] * w.channels;
  g.height = w.height;
  g.width = w.width;
  g.out_h = w.out_h;
  g.out_w = w.out_w;
  g.kernel_h = w.kernel_h;
  g.kernel_w = w.kernel_w;
  g.stride_h = w.stride_h;
  g.stride_w = w.stride_w;
  g.pad_h = w.pad_h;
  g.pad_w = w.pad_w;
  return g;
}

void valid_range(int64_t out, int64_t stride, int64_t pad, int64_t k, int64_t size, int64_t& first,
                 int64_t& last) {
  const int64_t low = pad - k;  // o * stride >= pad - k
  first = low <= 0 ? 0 : (low + stride - 1) / stride;
  const int64_t high = size + pad - k - 1;  // o * stride <= size + pad - k - 1
  last = high < 0 ? 0 : std::min(out, high / stride + 1);
  last = std::max(last, first);
}

void im2col_row(const kernels::Window& w, const float* images, int64_t image_stride, int64_t count, int64_t r,
                float* dst) {
  const kernels::Im2colRow row = kernels::im2col_row(r, w.kernel_h, w.kernel_w);
  const int64_t c = row.c, ki = row.ki, kj = row.kj;
  int64_t oh0, oh1, ow0, ow1;
  valid_range(w.out_h, w.stride_h, w.pad_h, ki, w.height, oh0, oh1);
  valid_range(w.out_w, w.stride_w, w.pad_w, kj, w.width, ow0, ow1);
  const int64_t plane_size = w.plane();
  for (int64_t b = 0; b < count; ++b) {
    const float* plane = images + b * image_stride + c * w.height * w.width;
    float* columns = dst + b * plane_size;
    // Every element written once: zero rows above and below the image, zero borders left and right. Plain
    // loops: late layers' rows are a few elements long, where a call to fill or copy costs more than it does.
    for (int64_t i = 0; i < oh0 * w.out_w; ++i) columns[i] = 0.0f;
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      const float* src = plane + (oh * w.stride_h - w.pad_h + ki) * w.width - w.pad_w + kj;
      float* out = columns + oh * w.out_w;
      for (int64_t ow = 0; ow < ow0; ++ow) out[ow] = 0.0f;
      if (w.stride_w == 1) {
        for (int64_t ow = ow0; ow < ow1; ++ow) out[ow] = src[ow];
      } else {
        for (int64_t ow = ow0; ow < ow1; ++ow) out[ow] = src[ow * w.stride_w];
      }
      for (int64_t ow = ow1; ow < w.out_w; ++ow) out[ow] = 0.0f;
    }
    for (int64_t i = oh1 * w.out_w; i < plane_size; ++i) columns[i] = 0.0f;
  }
}

}  // namespace ftcnn
