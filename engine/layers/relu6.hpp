// relu6: nn.ReLU6, y = min(max(x, 0), 6), element-wise, any shape; NaN stays NaN (kernels::relu6_apply).
#pragma once

#include "engine/layer.hpp"

namespace ftcnn {

class Relu6 final : public Layer {
 public:
  static constexpr LayerType kType = LayerType::relu6;
  static constexpr const char* kTypeName = "relu6";
  explicit Relu6(LayerSpec spec) : Layer(std::move(spec)) {}
  ChannelMap channel_map() const override { return ChannelMap::passes; }
  ReverseRule reverse_rule() const override { return ReverseRule::gate; }
  // The gradient passes where 0 < x < 6 (PyTorch's hardtanh backward).
  kernels::Gate gate() const override { return {0.0f, true, 6.0f, 0.0f}; }
  Shape output_shape(const Shape& input) const override { return input; }
  bool in_place() const override { return true; }

 protected:
  void forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                   CpuContext& ctx) override;
#ifdef FTCNN_WITH_CUDA
  void forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                    CudaContext& ctx) override;
#endif
};

}  // namespace ftcnn
