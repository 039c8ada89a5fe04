// batchnorm2d on CUDA: one kernel (kernels/elementwise.cuh) that derives each channel's scale and shift from
// gamma, beta, running mean and variance on every call (so a corrupted parameter acts at once) exactly as the
// CPU body does (scale in double, rounded to float; shift and y = x * scale + shift in float, no FMA), so
// CPU and CUDA results are bit-identical.
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/batchnorm2d.hpp"
#include "kernels/elementwise.cuh"

namespace ftcnn {

void BatchNorm2d::forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in,
                               float* out, CudaContext& ctx) {
  const Shape& input = plan.input;
  kernels::launch_batchnorm2d(in, out, params(gamma_), params(beta_), params(mean_), params(var_),
                              attributes().eps, input[0], input[1], input[2] * input[3], ctx.stream());
  FT_LAUNCH_CHECK(fmt::format("batchnorm2d kernel of layer {}", name()));
}

}  // namespace ftcnn
