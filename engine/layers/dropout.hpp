// dropout: the identity at inference (nn.Dropout in eval mode); kept as a layer so architectures and
// module indices read exactly as in PyTorch.
#pragma once

#include "engine/layer.hpp"

namespace ftcnn {

class Dropout final : public Layer {
 public:
  static constexpr LayerType kType = LayerType::dropout;
  static constexpr const char* kTypeName = "dropout";
  explicit Dropout(LayerSpec spec) : Layer(std::move(spec)) {}
  ChannelMap channel_map() const override { return ChannelMap::passes; }
  ReverseRule reverse_rule() const override { return ReverseRule::identity; }
  Shape output_shape(const Shape& input) const override;
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
