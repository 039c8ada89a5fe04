// global_avgpool: nn.AdaptiveAvgPool2d(1), the mean of every channel's plane.
//   input [N, C, H, W] -> [N, C, 1, 1]; the float sum row by row divided by H * W
//   (kernels::global_avg_reduce), in the same order on both devices.
#pragma once

#include "engine/layer.hpp"

namespace ftcnn {

class GlobalAvgPool final : public Layer {
 public:
  static constexpr LayerType kType = LayerType::global_avgpool;
  static constexpr const char* kTypeName = "global_avgpool";
  explicit GlobalAvgPool(LayerSpec spec) : Layer(std::move(spec)) {}
  ChannelMap channel_map() const override { return ChannelMap::passes; }
  // The gradient spreads as an average pool whose window is the whole plane (window_spec).
  ReverseRule reverse_rule() const override { return ReverseRule::spread_average; }
  WindowSpec window_spec(const Shape& input) const override;
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
