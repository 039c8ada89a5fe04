// global_avgpool on CUDA: one thread per plane summing it in the CPU body's order (kernels/pooling.cuh), so
// the results are bit-identical.
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/global_avgpool.hpp"
#include "kernels/pooling.cuh"

namespace ftcnn {

void GlobalAvgPool::forward_cuda(const LayerPlan& plan, const ParameterView&, const float* in, float* out,
                                 CudaContext& ctx) {
  const Shape& input = plan.input;
  kernels::launch_global_avgpool(in, out, input[0] * input[1], input[2], input[3], ctx.stream());
  FT_LAUNCH_CHECK(fmt::format("global_avgpool kernel of layer {}", name()));
}

}  // namespace ftcnn
