// The CUDA side of a correction layer's fused epilogue (FusedEpilogue, engine/layer.hpp), shared by
// edac.cu and tmr_vote.cu: the kernels' view of it, with the BatchNorm tensors resolved in the executing
// device's copy of the parameter arena on every call, and the launch-check message naming the fused layers.
#pragma once

#include <fmt/format.h>

#include <string>

#include "engine/layer.hpp"
#include "kernels/edac.cuh"

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

// "edac kernel of layer features.0.edac" or "... fused with features.1, features.2".
inline std::string correction_kernel_name(const char* kind, const std::string& layer,
                                          const FusedEpilogue& epilogue) {
  std::string text = fmt::format("{} kernel of layer {}", kind, layer);
  for (size_t i = 0; i < epilogue.layers.size(); ++i)
    text += (i == 0 ? " fused with " : ", ") + epilogue.layers[i];
  return text;
}

}  // namespace ftcnn
