#include "engine/layers/avgpool2d.hpp"

#include <nlohmann/json.hpp>

#include "engine/cpu_context.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/pool_shape.hpp"
#include "engine/layers/pool_window.hpp"

namespace ftcnn {

void AvgPool2d::read_attributes(const nlohmann::json& j, LayerSpec& spec) {
  attributes::read_window(j, spec.set_attrs<PoolAttributes>());
}

void AvgPool2d::write_attributes(const LayerSpec& spec, nlohmann::json& j) {
  attributes::write_window(spec.attrs<PoolAttributes>(), j);
}

AvgPool2d::AvgPool2d(LayerSpec spec) : Layer(std::move(spec)) {
  const std::string problem = pooling_spec_problem(attributes());
  if (!problem.empty()) fail(problem);
}

Shape AvgPool2d::output_shape(const Shape& input) const {
  Shape out = pooling_output_shape(attributes(), input);
  if (out.rank() == 0) fail(fmt::format("window does not fit input {}", input.str()));
  return out;
}

void AvgPool2d::forward_cpu(const Shape& input, const ParameterView&, const float* in, float* out,
                            CpuContext& ctx) {
  // count_include_pad: the float sum over the clipped window over the full window size, the CUDA kernel's
  // reducer (kernels::avg_reduce).
  const float divisor = kernels::avg_divisor(attributes().kernel[0], attributes().kernel[1]);
  for_each_pool_window(attributes(), input, output_shape(input), in, out, ctx.threads(),
                       [divisor](const float* plane, int64_t width, const kernels::PoolWindow& window) {
                         return kernels::avg_reduce(plane, width, window, divisor);
                       });
}

}  // namespace ftcnn
