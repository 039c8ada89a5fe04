// The piecewise-linear activations, host and device (kernels/host_device.hpp): their forward rules, which the
// CPU layers and the CUDA kernels both call, and their gates, the form the Eq. (1) reverse pass takes them
// in (kernels/vulnerability_bodies.hpp).
#pragma once

#include <cstdint>

#include "kernels/host_device.hpp"

namespace ftcnn::kernels {

// relu6, as PyTorch's hardtanh(0, 6): x below 0 gives 0, above 6 gives 6; NaN and -0 are kept.
FT_KERNEL_HD float relu6_apply(float x) {
  return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
}

// leaky_relu, as PyTorch: x > 0 ? x : x * slope (one rounding; NaN stays NaN, -0 stays -0 for slope >= 0).
FT_KERNEL_HD float leaky_relu_apply(float x, float slope) {
  return x > 0.0f ? x : x * slope;
}

// The backward of relu, relu6 and leaky_relu: dx = dy where the forward input x passes (lower < x, and
// x < upper when bounded), dx = dy * leak elsewhere (exactly 0 when leak is 0, whatever dy), as PyTorch's
// threshold, hardtanh and leaky_relu backwards. A NaN input does not pass.
struct Gate {
  float lower = 0.0f;
  bool bounded = false;
  float upper = 0.0f;
  float leak = 0.0f;
};

FT_KERNEL_HD uint8_t gate_mask(float x, const Gate& gate) {
  return x > gate.lower && (!gate.bounded || x < gate.upper) ? 1 : 0;
}

FT_KERNEL_HD float gate_backward(uint8_t mask, float grad, float leak) {
  return mask ? grad : (leak == 0.0f ? 0.0f : grad * leak);
}

}  // namespace ftcnn::kernels
