// Output shape of a 2-D pooling window, shared by maxpool2d and avgpool2d (PyTorch floor mode):
//   OH = (H + 2*pad_h - kh) / stride_h + 1. PyTorch also requires pad <= kernel / 2.
#pragma once

#include "engine/layer.hpp"
#include "engine/layers/attributes.hpp"

namespace ftcnn {

// Returns "" when the window fits, or what is wrong.
std::string pooling_spec_problem(const WindowSpec& spec);
// Returns an empty shape when `input` is not [N, C, H, W] or the window does not fit it.
Shape pooling_output_shape(const WindowSpec& spec, const Shape& input);

}  // namespace ftcnn
