// The contract of a join: a node that reads two or more inputs (add, concat). A join has no one-input form:
// the graph hands it all its inputs (Layer::joins_inputs), and its bodies are join_cpu / join_cuda.
#pragma once

#include "engine/layer.hpp"

namespace ftcnn {

class Join : public Layer {
 public:
  using Layer::Layer;
  bool joins_inputs() const final { return true; }
  // Refused: a join always has several inputs.
  Shape output_shape(const Shape& input) const final;

 protected:
  // Refused, as output_shape.
  void forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                   CpuContext& ctx) final;
  // Throws unless there are at least two inputs ("<verb> two or more inputs, given N").
  void require_inputs(const std::vector<Shape>& inputs, const char* verb) const;
};

}  // namespace ftcnn
