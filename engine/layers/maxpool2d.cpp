#include "engine/layers/maxpool2d.hpp"

#include <nlohmann/json.hpp>

#include "engine/cpu_context.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/pool_shape.hpp"
#include "engine/layers/pool_window.hpp"

namespace ftcnn {

void MaxPool2d::read_attributes(const nlohmann::json& j, LayerSpec& spec) {
  attributes::read_window(j, spec.set_attrs<PoolAttributes>());
}

void MaxPool2d::write_attributes(const LayerSpec& spec, nlohmann::json& j) {
  attributes::write_window(spec.attrs<PoolAttributes>(), j);
}

MaxPool2d::MaxPool2d(LayerSpec spec) : Layer(std::move(spec)) {
  const std::string problem = pooling_spec_problem(attributes());
  if (!problem.empty()) fail(problem);
}

Shape MaxPool2d::output_shape(const Shape& input) const {
  Shape out = pooling_output_shape(attributes(), input);
  if (out.rank() == 0) fail(fmt::format("window does not fit input {}", input.str()));
  return out;
}

void MaxPool2d::forward_cpu(const Shape& input, const ParameterView&, const float* in, float* out,
                            CpuContext& ctx) {
  // Max from -inf, a NaN always taking over: kernels::max_reduce, the CUDA kernel's reducer.
  for_each_pool_window(attributes(), input, output_shape(input), in, out, ctx.threads(),
                       [](const float* plane, int64_t width, const kernels::PoolWindow& window) {
                         return kernels::max_reduce(plane, width, window);
                       });
}

}  // namespace ftcnn
