// edac: the paper's error detection and correction layer (Sec. II-B2), placed right after a protected
// conv2d / linear layer and before its BatchNorm. docs/hardening.md has the layout and the full tables.
//   input [N, C + D, ...] (the protected layer computes its C channels, then one copy of each of the D
//   channels listed in its `copied`, in that order) -> output [N, C, ...].
//   parameters (mode edac only): "<name>.lower", "<name>.upper" [C], the per-channel detection intervals
//   profiled on the training set. They are buffers, and fault targets like every other tensor.
// Per element, NaN becomes 0 first; then mode edac: a channel without a copy keeps its value when inside
// [lower, upper] and becomes 0 otherwise; a duplicated channel keeps a == b, the minimum of two differing
// values both inside, the one inside, or 0. Mode dup-only (no intervals): a duplicated channel keeps a == b
// or min(a, b); other channels pass. CPU and CUDA run the same rules (kernels/edac_rules.hpp), bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/layer.hpp"
#include "engine/layers/attributes.hpp"
#include "kernels/edac_bodies.hpp"  // CorrectionEpilogue

namespace ftcnn {

// The model-file fields of an edac layer: channels, the duplicated ones ("duplicated"), and its mode.
struct EdacAttributes final : AttributesOf<EdacAttributes, CopyAttributes> {
  EdacMode mode = EdacMode::edac;
  int copies_each() const override { return 1; }
};

class Edac final : public Layer {
 public:
  static constexpr LayerType kType = LayerType::edac;
  static constexpr const char* kTypeName = "edac";
  using Attributes = EdacAttributes;
  // The model-file fields of this op (docs/model_format.md).
  static void read_attributes(const nlohmann::json& j, LayerSpec& spec);
  static void write_attributes(const LayerSpec& spec, nlohmann::json& j);
  explicit Edac(LayerSpec spec);
  const EdacAttributes& attributes() const { return spec_.attrs<EdacAttributes>(); }
  ChannelMap channel_map() const override { return ChannelMap::corrects; }
  ReverseRule reverse_rule() const override { return ReverseRule::unsupported; }
  std::string reverse_refusal() const override {
    return Layer::reverse_refusal() + "; score the unhardened model";
  }
  void declare_parameters(ParameterStore& store) override;
  Shape output_shape(const Shape& input) const override;
  // The graph may fuse the BatchNorm2d and ReLU that follow into this layer (both devices).
  bool accepts_epilogue(Device) const override { return true; }
  int lower_index() const { return lower_; }
  int upper_index() const { return upper_; }

 protected:
  void forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                   CpuContext& ctx) override;
  void forward_cpu_fused(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                         CpuContext& ctx) override;
#ifdef FTCNN_WITH_CUDA
  std::unique_ptr<LayerCudaState> prepare_cuda(const Shape& input, CudaContext& ctx,
                                               const ExecContext& options) const override;
  void forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                    CudaContext& ctx) override;
#endif

 private:
  // The CPU body, with the absorbed layers' epilogue (empty: none).
  void correct(const Shape& input, const ParameterView& params, const float* in, float* out,
               const kernels::CorrectionEpilogue& epilogue, CpuContext& ctx) const;
  bool with_intervals() const {
    return attributes().mode == EdacMode::edac;
  }

  std::vector<int32_t> copy_index_;  // per channel: its copy's position among the D copies, or -1
  int lower_ = -1, upper_ = -1;      // -1 in mode dup-only
};

}  // namespace ftcnn
