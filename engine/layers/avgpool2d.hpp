// avgpool2d: nn.AvgPool2d (floor mode, count_include_pad=True: padded zeros count in the
// divisor, which is then always kh * kw).
//   input [N, C, H, W] -> [N, C, OH, OW], see pool_shape.hpp.
#pragma once

#include "engine/layer.hpp"
#include "engine/layers/attributes.hpp"

namespace ftcnn {

class AvgPool2d final : public Layer {
 public:
  static constexpr LayerType kType = LayerType::avgpool2d;
  static constexpr const char* kTypeName = "avgpool2d";
  using Attributes = PoolAttributes;
  // The model-file fields of this op (docs/model_format.md).
  static void read_attributes(const nlohmann::json& j, LayerSpec& spec);
  static void write_attributes(const LayerSpec& spec, nlohmann::json& j);
  explicit AvgPool2d(LayerSpec spec);
  const PoolAttributes& attributes() const { return spec_.attrs<PoolAttributes>(); }
  WindowSpec window_spec(const Shape& /*input*/) const override { return attributes(); }
  ChannelMap channel_map() const override { return ChannelMap::passes; }
  ReverseRule reverse_rule() const override { return ReverseRule::spread_average; }
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
