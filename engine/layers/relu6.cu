// relu6 on CUDA: one element-wise kernel (kernels/elementwise.cuh), the CPU body's rule.
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/relu6.hpp"
#include "kernels/elementwise.cuh"

namespace ftcnn {

void Relu6::forward_cuda(const LayerPlan& plan, const ParameterView&, const float* in, float* out,
                         CudaContext& ctx) {
  kernels::launch_relu6(in, out, plan.input.numel(), ctx.stream());
  FT_LAUNCH_CHECK(fmt::format("relu6 kernel of layer {}", name()));
}

}  // namespace ftcnn
