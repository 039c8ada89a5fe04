// flatten on CUDA: NCHW memory is already [N, C*H*W]; copy only when the graph gives distinct buffers.
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/flatten.hpp"

namespace ftcnn {

void Flatten::forward_cuda(const LayerPlan& plan, const ParameterView&, const float* in, float* out,
                           CudaContext& ctx) {
  const Shape& input = plan.input;
  if (in == out) return;
  FT_CUDA_CHECK(cudaMemcpyAsync(out, in, static_cast<size_t>(input.numel()) * sizeof(float),
                                cudaMemcpyDeviceToDevice, ctx.stream()));
}

}  // namespace ftcnn
