// concat on CUDA: one strided device-to-device copy per input (each item's run lands `total` apart).
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/concat.hpp"

namespace ftcnn {

void Concat::join_cuda(const LayerPlan& plan, const std::vector<const float*>& in, float* out,
                       CudaContext& ctx) {
  const int64_t batch = plan.input[0];
  int64_t total = 0;
  for (const Shape& s : plan.inputs) total += s.per_item();
  int64_t offset = 0;
  for (size_t k = 0; k < in.size(); ++k) {
    const size_t size = static_cast<size_t>(plan.inputs[k].per_item());
    FT_CUDA_CHECK(cudaMemcpy2DAsync(out + offset, static_cast<size_t>(total) * sizeof(float), in[k],
                                    size * sizeof(float), size * sizeof(float), static_cast<size_t>(batch),
                                    cudaMemcpyDeviceToDevice, ctx.stream()));
    offset += static_cast<int64_t>(size);
  }
}

}  // namespace ftcnn
