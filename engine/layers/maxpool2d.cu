// maxpool2d on CUDA: one thread per output element (kernels/pooling.cuh), the same window walk and NaN rule
// as the CPU body, so the results are bit-identical.
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/maxpool2d.hpp"
#include "engine/layers/window.hpp"
#include "kernels/pooling.cuh"

namespace ftcnn {

void MaxPool2d::forward_cuda(const LayerPlan& plan, const ParameterView&, const float* in, float* out,
                             CudaContext& ctx) {
  const Shape& input = plan.input;
  const Shape output = output_shape(input);
  const kernels::Pool2dGeometry g = pool_geometry_of(attributes(), input, output);
  kernels::launch_maxpool2d(in, out, g, ctx.stream());
  FT_LAUNCH_CHECK(fmt::format("maxpool2d kernel of layer {}", name()));
}

}  // namespace ftcnn
