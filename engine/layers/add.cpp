#include "engine/layers/add.hpp"

#include "engine/cpu_context.hpp"
#include "kernels/elementwise_bodies.hpp"

namespace ftcnn {

Shape Add::node_output_shape(const std::vector<Shape>& inputs) const {
  require_inputs(inputs, "adds");
  for (const Shape& s : inputs) {
    if (s != inputs.front())
      fail(fmt::format("adds inputs of one shape, given {} and {}", inputs.front().str(), s.str()));
  }
  return inputs.front();
}

void Add::join_cpu(const std::vector<Shape>& inputs, const std::vector<const float*>& in, float* out,
                   CpuContext& ctx) {
  const int64_t count = inputs.front().numel();
  const float* first = in[0];
  for (size_t k = 1; k < in.size(); ++k) {
    const float* b = in[k];
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
    for (int64_t i = 0; i < count; ++i) kernels::add_body(first, b, out, i);
    first = out;  // the running sum
  }
}

}  // namespace ftcnn
