#include "engine/layers/flatten.hpp"

#include <algorithm>

namespace ftcnn {

Shape Flatten::output_shape(const Shape& input) const {
  return input.rank() >= 2 ? Shape{input[0], input.per_item()} : (fail("expects a batched input"), input);
}

void Flatten::forward_cpu(const Shape& input, const ParameterView&, const float* in, float* out,
                          CpuContext&) {
  if (in != out) std::copy(in, in + input.numel(), out);
}

}  // namespace ftcnn
