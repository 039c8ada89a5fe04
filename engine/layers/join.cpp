#include "engine/layers/join.hpp"

namespace ftcnn {

Shape Join::output_shape(const Shape& input) const {
  fail(fmt::format("reads two or more inputs, given one of {}", input.str()));
}

void Join::forward_cpu(const Shape& input, const ParameterView&, const float*, float*, CpuContext&) {
  output_shape(input);
}

void Join::require_inputs(const std::vector<Shape>& inputs, const char* verb) const {
  if (inputs.size() < 2) fail(fmt::format("{} two or more inputs, given {}", verb, inputs.size()));
}

}  // namespace ftcnn
