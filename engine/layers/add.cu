// add on CUDA: one element-wise kernel per further input (kernels/elementwise.cuh), the running sum in `out`.
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/add.hpp"
#include "kernels/elementwise.cuh"

namespace ftcnn {

void Add::join_cuda(const LayerPlan& plan, const std::vector<const float*>& in, float* out,
                    CudaContext& ctx) {
  const int64_t count = plan.input.numel();
  const float* first = in[0];
  for (size_t k = 1; k < in.size(); ++k) {
    kernels::launch_add(first, in[k], out, count, ctx.stream());
    FT_LAUNCH_CHECK(fmt::format("add kernel of layer {}", name()));
    first = out;
  }
}

}  // namespace ftcnn
