// add: the element-wise sum of two or more inputs of one shape, the join of a residual connection
// (torch: a + b). Summed left to right in fp32, ((in0 + in1) + in2) ..., on both devices.
#pragma once

#include "engine/layers/join.hpp"

namespace ftcnn {

class Add final : public Join {
 public:
  static constexpr LayerType kType = LayerType::add;
  static constexpr const char* kTypeName = "add";
  explicit Add(LayerSpec spec) : Join(std::move(spec)) {}
  ChannelMap channel_map() const override { return ChannelMap::ties_inputs; }
  ReverseRule reverse_rule() const override { return ReverseRule::sum_fan_out; }
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
