#include "engine/layers/leaky_relu.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "engine/cpu_context.hpp"
#include "kernels/activation_rules.hpp"

namespace ftcnn {

void LeakyRelu::read_attributes(const nlohmann::json& j, LayerSpec& spec) {
  spec.set_attrs<LeakyReluAttributes>().negative_slope = j.at("negative_slope").get<double>();
}

void LeakyRelu::write_attributes(const LayerSpec& spec, nlohmann::json& j) {
  j["negative_slope"] = spec.attrs<LeakyReluAttributes>().negative_slope;
}

LeakyRelu::LeakyRelu(LayerSpec spec) : Layer(std::move(spec)) {
  if (!std::isfinite(attributes().negative_slope)) fail("negative_slope must be a finite number");
}

void LeakyRelu::forward_cpu(const Shape& input, const ParameterView&, const float* in, float* out,
                            CpuContext& ctx) {
  const int64_t count = input.numel();
  const float s = slope();
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (int64_t i = 0; i < count; ++i) out[i] = kernels::leaky_relu_apply(in[i], s);
}

}  // namespace ftcnn
