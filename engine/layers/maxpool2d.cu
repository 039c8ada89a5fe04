// maxpool2d on CUDA: one thread per output element (kernels/pooling.cuh), the same window walk and NaN rule
// as the CPU body, so the results are bit-identical.
#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/maxpool2d.hpp"
#include "kernels/pooling.cuh"

namespace ftcnn {

void MaxPool2d::forward_cuda(const LayerPlan& plan, const ParameterView&, const float* in, float* out,
                             CudaContext& ctx) {
  const Shape& input = plan.input;
  const Shape output = output_shape(input);
  kernels::Pool2dGeometry g;
  g.planes = input[0] * input[1];
  g.height = input[2];
  g.width = input[3];
  g.out_h = output[2];
  g.out_w = output[3];
  g.kernel_h = spec_.kernel[0];
  g.kernel_w = spec_.kernel[1];
  g.stride_h = spec_.stride[0];
  g.stride_w = spec_.stride[1];
  g.pad_h = spec_.padding[0];
  g.pad_w = spec_.padding[1];
  kernels::launch_maxpool2d(in, out, g, ctx.stream());
  FT_LAUNCH_CHECK(fmt::format("maxpool2d kernel of layer {}", name()));
}

}  // namespace ftcnn
