// tmr_vote: the majority voter of the Sec. III-C baseline "triplication + voter", placed right after a
// triplicated conv2d / linear layer (docs/hardening.md).
//   input [N, C + 2 D, ...] (the protected layer computes its C channels, then a first copy of each of the D
//   channels listed in its `copied`, then a second copy of each, in that order; full TMR is D = C with
//   copied = 0..C-1, i.e. three whole copies [0, C), [C, 2C), [2C, 3C)) -> output [N, C, ...].
//   no parameters.
// Per element, NaN becomes 0 first; a triplicated channel then gives the value two copies agree on bit for
// bit, or the minimum of three different values; a channel without copies passes. CPU and CUDA run the same
// rules (kernels/edac_rules.hpp), bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/layer.hpp"
#include "engine/layers/attributes.hpp"
#include "kernels/edac_bodies.hpp"  // CorrectionEpilogue

namespace ftcnn {

// The model-file fields of a tmr_vote: channels and the triplicated ones ("triplicated").
struct TmrVoteAttributes final : AttributesOf<TmrVoteAttributes, CopyAttributes> {
  int copies_each() const override { return 2; }
};

class TmrVote final : public Layer {
 public:
  static constexpr LayerType kType = LayerType::tmr_vote;
  static constexpr const char* kTypeName = "tmr_vote";
  using Attributes = TmrVoteAttributes;
  // The model-file fields of this op (docs/model_format.md).
  static void read_attributes(const nlohmann::json& j, LayerSpec& spec);
  static void write_attributes(const LayerSpec& spec, nlohmann::json& j);
  explicit TmrVote(LayerSpec spec);
  const TmrVoteAttributes& attributes() const { return spec_.attrs<TmrVoteAttributes>(); }
  ChannelMap channel_map() const override { return ChannelMap::corrects; }
  ReverseRule reverse_rule() const override { return ReverseRule::unsupported; }
  std::string reverse_refusal() const override {
    return Layer::reverse_refusal() + "; score the unhardened model";
  }
  Shape output_shape(const Shape& input) const override;
  // The graph may fuse the BatchNorm2d and ReLU that follow into this layer (both devices).
  bool accepts_epilogue(Device) const override { return true; }

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
  void vote(const Shape& input, const float* in, float* out, const kernels::CorrectionEpilogue& epilogue,
            CpuContext& ctx) const;

  std::vector<int32_t> copy_index_;  // per channel: its position among the D triplicated channels, or -1
};

}  // namespace ftcnn
