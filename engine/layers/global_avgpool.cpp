#include "engine/layers/global_avgpool.hpp"

#include "engine/cpu_context.hpp"
#include "kernels/pooling_bodies.hpp"

namespace ftcnn {

Shape GlobalAvgPool::output_shape(const Shape& input) const {
  if (input.rank() != 4 || input[2] < 1 || input[3] < 1)
    fail(fmt::format("needs an [N, C, H, W] input with H, W >= 1, given {}", input.str()));
  return Shape{input[0], input[1], 1, 1};
}

WindowSpec GlobalAvgPool::window_spec(const Shape& input) const {
  WindowSpec w;
  w.kernel = {input[2], input[3]};
  w.stride = w.kernel;
  return w;
}

void GlobalAvgPool::forward_cpu(const Shape& input, const ParameterView&, const float* in, float* out,
                                CpuContext& ctx) {
  const int64_t planes = input[0] * input[1], height = input[2], width = input[3];
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (int64_t p = 0; p < planes; ++p)
    out[p] = kernels::global_avg_reduce(in + p * height * width, height, width);
}

}  // namespace ftcnn
