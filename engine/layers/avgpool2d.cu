// avgpool2d on CUDA: one thread per output element (kernels/pooling.cuh), summing the clipped window row by
// row as the CPU body does and dividing by kh * kw (count_include_pad), so the results are bit-identical.
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/avgpool2d.hpp"
#include "engine/layers/window.hpp"
#include "kernels/pooling.cuh"

namespace ftcnn {

void AvgPool2d::forward_cuda(const LayerPlan& plan, const ParameterView&, const float* in, float* out,
                             CudaContext& ctx) {
  const Shape& input = plan.input;
  const Shape output = output_shape(input);
  const kernels::Pool2dGeometry g = pool_geometry_of(attributes(), input, output);
  kernels::launch_avgpool2d(in, out, g, ctx.stream());
  FT_LAUNCH_CHECK(fmt::format("avgpool2d kernel of layer {}", name()));
}

}  // namespace ftcnn
