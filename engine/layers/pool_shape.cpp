#include "engine/layers/pool_shape.hpp"

namespace ftcnn {

std::string pooling_spec_problem(const WindowSpec& spec) {
  for (int i = 0; i < 2; ++i) {
    if (spec.kernel[i] <= 0 || spec.stride[i] <= 0) return "kernel and stride must be positive";
    if (spec.padding[i] < 0 || 2 * spec.padding[i] > spec.kernel[i])
      return "padding must be in [0, kernel / 2]";
  }
  return "";
}

Shape pooling_output_shape(const WindowSpec& spec, const Shape& input) {
  if (input.rank() != 4) return Shape();
  const int64_t padded_h = input[2] + 2 * spec.padding[0], padded_w = input[3] + 2 * spec.padding[1];
  if (padded_h < spec.kernel[0] || padded_w < spec.kernel[1]) return Shape();
  return Shape{input[0], input[1], (padded_h - spec.kernel[0]) / spec.stride[0] + 1,
               (padded_w - spec.kernel[1]) / spec.stride[1] + 1};
}

}  // namespace ftcnn
