// batchnorm2d: nn.BatchNorm2d in eval mode.
//   input [N, C, H, W] -> same shape; y = (x - running_mean) / sqrt(running_var + eps) * weight + bias.
//   parameters: "<name>.weight" (gamma), "<name>.bias" (beta), "<name>.running_mean", "<name>.running_var",
//   [C].
// The four tensors stay separate parameters (each one is a fault-injection target); the per-channel scale
// and shift are derived from them on every forward call, so a flipped bit takes effect at once.
#pragma once

#include "engine/layer.hpp"
#include "engine/layers/attributes.hpp"
#include "kernels/edac_bodies.hpp"  // CorrectionEpilogue

namespace ftcnn {

// The model-file fields of a batchnorm2d: its channels (in = out) and eps.
struct BatchNorm2dAttributes final : AttributesOf<BatchNorm2dAttributes, ChannelAttributes> {
  double eps = 1e-5;
};

class BatchNorm2d final : public Layer {
 public:
  static constexpr LayerType kType = LayerType::batchnorm2d;
  static constexpr const char* kTypeName = "batchnorm2d";
  using Attributes = BatchNorm2dAttributes;
  // The model-file fields of this op (docs/model_format.md).
  static void read_attributes(const nlohmann::json& j, LayerSpec& spec);
  static void write_attributes(const LayerSpec& spec, nlohmann::json& j);
  explicit BatchNorm2d(LayerSpec spec);
  const BatchNorm2dAttributes& attributes() const { return spec_.attrs<BatchNorm2dAttributes>(); }
  ChannelMap channel_map() const override { return ChannelMap::per_channel; }
  ReverseRule reverse_rule() const override { return ReverseRule::scale_channels; }
  void declare_parameters(ParameterStore& store) override;
  Shape output_shape(const Shape& input) const override;
  bool in_place() const override { return true; }
  // Joins an empty epilogue (it must come first: before any ReLU) with its four parameter tensors.
  bool join_epilogue(FusedEpilogue& epilogue, const Shape& input) const override;
  // On the CPU it absorbs the ReLU after it, applied to each channel's plane while it is in cache (the
  // CUDA BatchNorm kernel takes no epilogue).
  bool accepts_epilogue(Device device) const override { return device == Device::cpu; }

 protected:
  void forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                   CpuContext& ctx) override;
  void forward_cpu_fused(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                         CpuContext& ctx) override;
#ifdef FTCNN_WITH_CUDA
  void forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                    CudaContext& ctx) override;
#endif

 private:
  // The CPU body, with the absorbed layers' epilogue (empty: none).
  void normalize(const Shape& input, const ParameterView& params, const float* in, float* out,
                 const kernels::CorrectionEpilogue& epilogue, CpuContext& ctx) const;
  int gamma_ = -1, beta_ = -1, mean_ = -1, var_ = -1;
};

}  // namespace ftcnn
