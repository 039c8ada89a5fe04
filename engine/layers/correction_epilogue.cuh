// The CUDA side of a correction layer's fused epilogue (FusedEpilogue, engine/layer.hpp), shared by
// edac.cu and tmr_vote.cu: the launch-check message naming the fused layers (the kernels' view of the
// epilogue, kernel_epilogue, is fused_epilogue.hpp's, shared with the CPU bodies).
#pragma once

#include <fmt/format.h>

#include <string>

#include "engine/layer.hpp"
#include "engine/layers/fused_epilogue.hpp"  // kernel_epilogue
#include "kernels/edac.cuh"

namespace ftcnn {

// "edac kernel of layer features.0.edac" or "... fused with features.1, features.2".
inline std::string correction_kernel_name(const char* kind, const std::string& layer,
                                          const FusedEpilogue& epilogue) {
  std::string text = fmt::format("{} kernel of layer {}", kind, layer);
  for (size_t i = 0; i < epilogue.layers.size(); ++i)
    text += (i == 0 ? " fused with " : ", ") + epilogue.layers[i];
  return text;
}

}  // namespace ftcnn
