// A correction layer's fused epilogue (FusedEpilogue, engine/layer.hpp) as the per-element bodies see it
// (kernels/edac_bodies.hpp), on both devices: the absorbed BatchNorm's tensors resolved in the executing
// copy of the parameter arena on every call, so that a corrupted BatchNorm parameter acts at once.
#pragma once

#include "engine/layer.hpp"
#include "kernels/edac_bodies.hpp"

namespace ftcnn {

inline kernels::CorrectionEpilogue kernel_epilogue(const FusedEpilogue& epilogue,
                                                   const ParameterView& params) {
  kernels::CorrectionEpilogue result;
  if (epilogue.has_batchnorm()) {
    result.gamma = params(epilogue.bn_weight);
    result.beta = params(epilogue.bn_bias);
    result.mean = params(epilogue.bn_mean);
    result.var = params(epilogue.bn_var);
    result.eps = epilogue.bn_eps;
  }
  result.relu = epilogue.relu;
  return result;
}

// True when the epilogue does anything (an absorbed BatchNorm or ReLU).
inline bool has_epilogue(const kernels::CorrectionEpilogue& epilogue) {
  return epilogue.gamma != nullptr || epilogue.relu;
}

// Applies the epilogue of channel c to `count` values in place, in the unfused layers' order and arithmetic
// (BatchNorm, then ReLU): a fused step gives the unfused steps' bits.
inline void apply_channel_epilogue(const kernels::CorrectionEpilogue& epilogue, int64_t c, float* values,
                                   int64_t count) {
  const kernels::ChannelEpilogue f = kernels::channel_epilogue(epilogue, c);
  if (f.batchnorm) {
    for (int64_t p = 0; p < count; ++p)
      values[p] = kernels::batchnorm_apply(values[p], f.bn.scale, f.bn.shift);
  }
  if (f.relu) {
    for (int64_t p = 0; p < count; ++p) values[p] = kernels::relu_apply(values[p]);
  }
}

}  // namespace ftcnn
