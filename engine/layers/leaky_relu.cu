// leaky_relu on CUDA: one element-wise kernel (kernels/elementwise.cuh), the CPU body's rule.
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/leaky_relu.hpp"
#include "kernels/elementwise.cuh"

namespace ftcnn {

void LeakyRelu::forward_cuda(const LayerPlan& plan, const ParameterView&, const float* in, float* out,
                             CudaContext& ctx) {
  kernels::launch_leaky_relu(in, out, plan.input.numel(), slope(), ctx.stream());
  FT_LAUNCH_CHECK(fmt::format("leaky_relu kernel of layer {}", name()));
}

}  // namespace ftcnn
