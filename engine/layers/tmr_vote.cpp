#include "engine/layers/tmr_vote.hpp"

#include <nlohmann/json.hpp>

#include "engine/cpu_context.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/channel_copies.hpp"
#include "engine/layers/fused_epilogue.hpp"
#include "kernels/edac_rules.hpp"

namespace ftcnn {

void TmrVote::read_attributes(const nlohmann::json& j, LayerSpec& spec) {
  TmrVoteAttributes& a = spec.set_attrs<TmrVoteAttributes>();
  attributes::read_channels(j, a);
  attributes::read_copied(j, "triplicated", a);
}

void TmrVote::write_attributes(const LayerSpec& spec, nlohmann::json& j) {
  const TmrVoteAttributes& a = spec.attrs<TmrVoteAttributes>();
  attributes::write_channels(a, j);
  attributes::write_copied(a, "triplicated", j);
}

TmrVote::TmrVote(LayerSpec spec) : Layer(std::move(spec)) {
  const std::string problem = channel_copies_problem(attributes());
  if (!problem.empty()) fail(problem);
  copy_index_ = copy_index_map(attributes());
}

Shape TmrVote::output_shape(const Shape& input) const {
  Shape out = channel_copies_output_shape(attributes(), input);
  if (out.rank() == 0) {
    fail(fmt::format("expects input [N, {} + 2 x {} copies, ...], got {}", attributes().out_channels,
                     attributes().copied.size(), input.str()));
  }
  return out;
}

void TmrVote::forward_cpu(const Shape& input, const ParameterView&, const float* in, float* out,
                          CpuContext& ctx) {
  vote(input, in, out, kernels::CorrectionEpilogue{}, ctx);
}

void TmrVote::forward_cpu_fused(const LayerPlan& plan, const ParameterView& params, const float* in,
                                float* out, CpuContext& ctx) {
  vote(plan.input, in, out, kernel_epilogue(plan.epilogue, params), ctx);
}

void TmrVote::vote(const Shape& input, const float* in, float* out,
                   const kernels::CorrectionEpilogue& epilogue, CpuContext& ctx) const {
  const bool fused = has_epilogue(epilogue);
  const int64_t batch = input[0], channels = attributes().out_channels,
                in_channels = attributes().in_channels;
  const int64_t copies = static_cast<int64_t>(attributes().copied.size());
  const int64_t inner = input.per_item() / in_channels;  // H * W, or 1 after a linear layer
#pragma omp parallel for collapse(2) num_threads(ctx.threads()) schedule(static)
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const int32_t k = copy_index_[static_cast<size_t>(c)];
      const float* a = in + (n * in_channels + c) * inner;
      float* dst = out + (n * channels + c) * inner;
      if (k < 0) {
        for (int64_t p = 0; p < inner; ++p) dst[p] = kernels::edac_scrub(a[p]);
      } else {
        const float* b = in + (n * in_channels + channels + k) * inner;
        const float* d = in + (n * in_channels + channels + copies + k) * inner;
        for (int64_t p = 0; p < inner; ++p) dst[p] = kernels::tmr_vote3(a[p], b[p], d[p]);
      }
      // The absorbed BatchNorm and ReLU over the channel's plane while it is in cache.
      if (fused) apply_channel_epilogue(epilogue, c, dst, inner);
    }
  }
}

}  // namespace ftcnn
