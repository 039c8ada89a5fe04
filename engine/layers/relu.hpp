// relu: y = max(x, 0), element-wise, any shape. NaN stays NaN (as PyTorch), so a corrupted activation is
// never silently turned into a valid one.
#pragma once

#include "engine/layer.hpp"

namespace ftcnn {

class Relu final : public Layer {
 public:
  static constexpr LayerType kType = LayerType::relu;
  static constexpr const char* kTypeName = "relu";
  explicit Relu(LayerSpec spec) : Layer(std::move(spec)) {}
  ChannelMap channel_map() const override { return ChannelMap::passes; }
  ReverseRule reverse_rule() const override { return ReverseRule::gate; }
  kernels::Gate gate() const override { return {}; }  // passes above 0, nothing below
  Shape output_shape(const Shape& input) const override { return input; }
  bool in_place() const override { return true; }
  // Joins an epilogue that holds no ReLU yet (after a BatchNorm or alone).
  bool join_epilogue(FusedEpilogue& epilogue, const Shape& input) const override;

 protected:
  void forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                   CpuContext& ctx) override;
#ifdef FTCNN_WITH_CUDA
  void forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                    CudaContext& ctx) override;
#endif
};

}  // namespace ftcnn
