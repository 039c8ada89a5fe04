// avgpool2d: nn.AvgPool2d (floor mode, count_include_pad=True: padded zeros count in the
// divisor, which is then always kh * kw).
//   input [N, C, H, W] -> [N, C, OH, OW], see pool_shape.hpp.
#pragma once

#include "engine/layer.hpp"

namespace ftcnn {

class AvgPool2d final : public Layer {
 public:
  explicit AvgPool2d(LayerSpec spec);
  Shape output_shape(const Shape& input) const override;

 protected:
  void forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                   CpuContext& ctx) override;
#ifdef FTCNN_WITH_CUDA
  void forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                    CudaContext& ctx) override;
#endif
};

}  // namespace ftcnn
