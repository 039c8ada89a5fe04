#include "engine/layers/avgpool2d.hpp"

#include "engine/cpu_context.hpp"
#include "engine/layers/pool_shape.hpp"
#include "engine/layers/pool_window.hpp"

namespace ftcnn {

AvgPool2d::AvgPool2d(LayerSpec spec) : Layer(std::move(spec)) {
  const std::string problem = pooling_spec_problem(spec_);
  if (!problem.empty()) fail(problem);
}

Shape AvgPool2d::output_shape(const Shape& input) const {
  Shape out = pooling_output_shape(spec_, input);
  if (out.rank() == 0) fail(fmt::format("window does not fit input {}", input.str()));
  return out;
}

void AvgPool2d::forward_cpu(const Shape& input, const ParameterView&, const float* in, float* out,
                            CpuContext& ctx) {
  const float divisor = static_cast<float>(spec_.kernel[0] * spec_.kernel[1]);
  for_each_pool_window(
      spec_, input, output_shape(input), in, out, ctx.threads(),
      [divisor](const float* plane, int64_t width, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
        float sum = 0.0f;
        for (int64_t h = h0; h < h1; ++h) {
          for (int64_t w = w0; w < w1; ++w) sum += plane[h * width + w];
        }
        return sum / divisor;
      });
}

}  // namespace ftcnn
