#include "engine/layers/relu6.hpp"

#include "engine/cpu_context.hpp"
#include "kernels/activation_rules.hpp"

namespace ftcnn {

void Relu6::forward_cpu(const Shape& input, const ParameterView&, const float* in, float* out,
                        CpuContext& ctx) {
  const int64_t count = input.numel();
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (int64_t i = 0; i < count; ++i) out[i] = kernels::relu6_apply(in[i]);
}

}  // namespace ftcnn
