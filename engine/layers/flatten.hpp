// flatten: torch.flatten(x, 1): [N, C, H, W] -> [N, C*H*W]. NCHW memory is already in that order, so it
// only renames the shape; the graph runs it in place.
#pragma once

#include "engine/layer.hpp"

namespace ftcnn {

class Flatten final : public Layer {
 public:
  static constexpr LayerType kType = LayerType::flatten;
  static constexpr const char* kTypeName = "flatten";
  explicit Flatten(LayerSpec spec) : Layer(std::move(spec)) {}
  ChannelMap channel_map() const override { return ChannelMap::flattens; }
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
