#include "engine/layers/relu.hpp"

#include "engine/cpu_context.hpp"
#include "kernels/batchnorm_rules.hpp"

namespace ftcnn {

bool Relu::join_epilogue(FusedEpilogue& epilogue, const Shape&) const {
  if (epilogue.relu) return false;
  epilogue.relu = true;
  epilogue.layers.push_back(spec_.name);
  return true;
}

void Relu::forward_cpu(const Shape& input, const ParameterView&, const float* in, float* out,
                       CpuContext& ctx) {
  const int64_t count = input.numel();
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (int64_t i = 0; i < count; ++i) out[i] = kernels::relu_apply(in[i]);  // NaN and -0 kept, as CUDA
}

}  // namespace ftcnn
