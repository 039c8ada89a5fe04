// The window geometry of a conv2d or pooling layer (kernels::Window) from its spec and shapes, and the CPU
// im2col over it: one definition for the conv2d forward, the pooling kernels, both Eq. (1) reverse passes
// and their kernels.
#pragma once

#include <cstdint>

#include "engine/layers/attributes.hpp"
#include "kernels/pooling_bodies.hpp"
#include "kernels/vulnerability_bodies.hpp"

namespace ftcnn {

// The window `spec` (of a conv2d, maxpool2d, avgpool2d) on one item of `in` ([N, C, H, W]) giving `out`.
kernels::Window window_of(const WindowSpec& spec, const Shape& in, const Shape& out);

// The same window over a whole batch, as the pooling kernels take it (planes = N * C).
kernels::Pool2dGeometry pool_geometry_of(const WindowSpec& spec, const Shape& in, const Shape& out);

// The output positions o in [0, out) whose input position o * stride - pad + k lies in [0, size), as
// [first, last): loops over them run without bounds checks and vectorise.
void valid_range(int64_t out, int64_t stride, int64_t pad, int64_t k, int64_t size, int64_t& first,
                 int64_t& last);

// Row r = (c, ki, kj) of the im2col matrix of `count` images (`image_stride` floats apart): image b's columns
// dst[b * plane + oh * out_w + ow] = image_b[c, oh*sh - ph + ki, ow*sw - pw + kj], zero outside the image.
// The row decomposition is the CUDA kernel's (kernels::im2col_row); the columns are filled by valid ranges,
// every element written once, so the loops vectorise.
void im2col_row(const kernels::Window& w, const float* images, int64_t image_stride, int64_t count, int64_t r,
                float* dst);

}  // namespace ftcnn
