// leaky_relu: nn.LeakyReLU(negative_slope), y = x > 0 ? x : x * negative_slope, element-wise, any shape;
// the slope is the model file's `negative_slope` (default 0.01, PyTorch's), applied as a float as PyTorch's
// kernel does. NaN stays NaN.
#pragma once

#include "engine/layer.hpp"

namespace ftcnn {

// The model-file field of a leaky_relu.
struct LeakyReluAttributes final : AttributesOf<LeakyReluAttributes> {
  double negative_slope = 0.01;
};

class LeakyRelu final : public Layer {
 public:
  static constexpr LayerType kType = LayerType::leaky_relu;
  static constexpr const char* kTypeName = "leaky_relu";
  using Attributes = LeakyReluAttributes;
  // The model-file field of this op (docs/model_format.md).
  static void read_attributes(const nlohmann::json& j, LayerSpec& spec);
  static void write_attributes(const LayerSpec& spec, nlohmann::json& j);
  explicit LeakyRelu(LayerSpec spec);
  ChannelMap channel_map() const override { return ChannelMap::passes; }
  ReverseRule reverse_rule() const override { return ReverseRule::gate; }
  // The gradient passes where x > 0 and is scaled by the slope elsewhere.
  kernels::Gate gate() const override { return {0.0f, false, 0.0f, slope()}; }
  Shape output_shape(const Shape& input) const override { return input; }
  bool in_place() const override { return true; }
  const LeakyReluAttributes& attributes() const { return spec_.attrs<LeakyReluAttributes>(); }
  float slope() const { return static_cast<float>(attributes().negative_slope); }

 protected:
  void forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                   CpuContext& ctx) override;
#ifdef FTCNN_WITH_CUDA
  void forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                    CudaContext& ctx) override;
#endif
};

}  // namespace ftcnn
