// BatchNorm2d (eval) and ReLU, one element at a time, shared by the CPU bodies
// (engine/layers/batchnorm2d.cpp, relu.cpp, the CPU reverse pass), the unfused kernels
// (kernels/elementwise.cu) and the correction kernels that run them fused (kernels/edac.cu), so that all of
// them give the same bits by construction. Host and device (kernels/host_device.hpp): the scale in double
// (IEEE division and square root) rounded once to float, the shift and the output in float with two roundings
// each (the kernels are compiled with
// --fmad=false and the host code without FMA contraction, so a * b + c is never fused).
#pragma once

#include <cmath>

#include "kernels/host_device.hpp"

namespace ftcnn::kernels {

// scale = gamma / sqrt(var + eps), computed in double and rounded to float.
FT_KERNEL_HD float batchnorm_scale(float gamma, float var, double eps) {
  return static_cast<float>(static_cast<double>(gamma) / sqrt(static_cast<double>(var) + eps));
}

// shift = beta - mean * scale, in float.
FT_KERNEL_HD float batchnorm_shift(float beta, float mean, float scale) {
  return beta - mean * scale;
}

// y = x * scale + shift, in float.
FT_KERNEL_HD float batchnorm_apply(float x, float scale, float shift) {
  return x * scale + shift;
}

// One channel's scale and shift, derived from its four parameters.
struct BatchnormChannel {
  float scale = 0.0f, shift = 0.0f;
};

FT_KERNEL_HD BatchnormChannel batchnorm_channel(float gamma, float beta, float mean, float var, double eps) {
  BatchnormChannel bn;
  bn.scale = batchnorm_scale(gamma, var, eps);
  bn.shift = batchnorm_shift(beta, mean, bn.scale);
  return bn;
}

// y = max(x, 0); NaN compares false and is kept, and so is -0.
FT_KERNEL_HD float relu_apply(float x) {
  return x < 0.0f ? 0.0f : x;
}

}  // namespace ftcnn::kernels
