// concat: torch.cat(inputs, dim=1): two or more inputs joined along the channel dimension (NCHW) or the
// feature dimension ([N, F]), in input order; every other dimension must agree. Per item, the output is the
// inputs' items one after another, so both devices copy contiguous runs.
#pragma once

#include "engine/layers/join.hpp"

namespace ftcnn {

class Concat final : public Join {
 public:
  static constexpr LayerType kType = LayerType::concat;
  static constexpr const char* kTypeName = "concat";
  explicit Concat(LayerSpec spec) : Join(std::move(spec)) {}
  ChannelMap channel_map() const override { return ChannelMap::concatenates; }
  ReverseRule reverse_rule() const override { return ReverseRule::split_channels; }
  Shape node_output_shape(const std::vector<Shape>& inputs) const override;

 protected:
  void join_cpu(const std::vector<Shape>& inputs, const std::vector<const float*>& in, float* out,
                CpuContext& ctx) override;
#ifdef FTCNN_WITH_CUDA
  void join_cuda(const LayerPlan& plan, const std::vector<const float*>& in, float* out,
                 CudaContext& ctx) override;
#endif
};

}  // namespace ftcnn
