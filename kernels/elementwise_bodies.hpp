// The per-index bodies of the element-wise kernels (kernels/elementwise.cu): what one thread does for one
// index, host and device (kernels/host_device.hpp). The kernels are grid-stride loops around these, the CPU
// layers call the same rules (kernels/batchnorm_rules.hpp), and test/test_kernel_bodies.cpp runs the bodies
// over whole index spaces on the CPU.
//
// Channel-major index space: an [outer, channels, inner] array (NCHW with inner = H * W, or [N, F] with
// inner = 1) is walked channel by channel; element j < outer * inner of channel c is item n = j / inner,
// position p = j - n * inner, at flat index (n * channels + c) * inner + p. One 64-bit division per element,
// and a channel's parameters are read once per thread, not once per element.
#pragma once

#include <cstdint>

#include "kernels/activation_rules.hpp"
#include "kernels/batchnorm_rules.hpp"
#include "kernels/host_device.hpp"

namespace ftcnn::kernels {

struct ChannelElement {
  int64_t item = 0, position = 0;
};

// Element j of a channel whose planes hold `inner` elements: item j / inner, position j % inner.
FT_KERNEL_HD ChannelElement channel_element(int64_t j, int64_t inner) {
  ChannelElement e;
  e.item = j / inner;
  e.position = j - e.item * inner;
  return e;
}

// Flat index of (item, channel, position) in an [outer, channels, inner] array.
FT_KERNEL_HD int64_t nci_index(int64_t item, int64_t channel, int64_t channels, int64_t position,
                               int64_t inner) {
  return (item * channels + channel) * inner + position;
}

// Flat index of element j of channel c in an [outer, channels, inner] array.
FT_KERNEL_HD int64_t channel_major_index(int64_t j, int64_t c, int64_t channels, int64_t inner) {
  const ChannelElement e = channel_element(j, inner);
  return nci_index(e.item, c, channels, e.position, inner);
}

// relu_kernel, index i: out[i] = max(in[i], 0), NaN and -0 kept. in == out allowed.
FT_KERNEL_HD void relu_body(const float* in, float* out, int64_t i) {
  out[i] = relu_apply(in[i]);
}

// relu6_kernel, index i (kernels/activation_rules.hpp). in == out allowed.
FT_KERNEL_HD void relu6_body(const float* in, float* out, int64_t i) {
  out[i] = relu6_apply(in[i]);
}

// leaky_relu_kernel, index i. in == out allowed.
FT_KERNEL_HD void leaky_relu_body(const float* in, float* out, float slope, int64_t i) {
  out[i] = leaky_relu_apply(in[i], slope);
}

// add_kernel, index i: one step of an add node's running sum (a, out may alias).
FT_KERNEL_HD void add_body(const float* a, const float* b, float* out, int64_t i) {
  out[i] = a[i] + b[i];
}

// add_channel_bias_kernel, element j of channel c (whose bias is `bias`).
FT_KERNEL_HD void add_channel_bias_body(float* data, float bias, int64_t c, int64_t j, int64_t channels,
                                        int64_t inner) {
  const int64_t index = channel_major_index(j, c, channels, inner);
  data[index] = data[index] + bias;
}

// batchnorm2d_kernel, element j of channel c (whose scale and shift are `bn`). in == out allowed.
FT_KERNEL_HD void batchnorm2d_body(const float* in, float* out, BatchnormChannel bn, int64_t c, int64_t j,
                                   int64_t channels, int64_t plane) {
  const int64_t index = channel_major_index(j, c, channels, plane);
  out[index] = batchnorm_apply(in[index], bn.scale, bn.shift);
}

}  // namespace ftcnn::kernels
