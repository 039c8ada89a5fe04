// relu on CUDA: one element-wise kernel (kernels/elementwise.cuh), in place when the graph runs it so.
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/relu.hpp"
#include "kernels/elementwise.cuh"

namespace ftcnn {

void Relu::forward_cuda(const LayerPlan& plan, const ParameterView&, const float* in, float* out,
                        CudaContext& ctx) {
  const Shape& input = plan.input;
  kernels::launch_relu(in, out, input.numel(), ctx.stream());
  FT_LAUNCH_CHECK(fmt::format("relu kernel of layer {}", name()));
}

}  // namespace ftcnn
