// dropout on CUDA: the identity at inference; copy only when the graph gives distinct buffers.
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/dropout.hpp"

namespace ftcnn {

void Dropout::forward_cuda(const LayerPlan& plan, const ParameterView&, const float* in, float* out,
                           CudaContext& ctx) {
  const Shape& input = plan.input;
  if (in == out) return;
  FT_CUDA_CHECK(cudaMemcpyAsync(out, in, static_cast<size_t>(input.numel()) * sizeof(float),
                                cudaMemcpyDeviceToDevice, ctx.stream()));
}

}  // namespace ftcnn
