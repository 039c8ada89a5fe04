#include "engine/layers/edac.hpp"

#include <nlohmann/json.hpp>

#include "engine/cpu_context.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/channel_copies.hpp"
#include "engine/layers/fused_epilogue.hpp"
#include "kernels/edac_rules.hpp"

namespace ftcnn {

void Edac::read_attributes(const nlohmann::json& j, LayerSpec& spec) {
  EdacAttributes& a = spec.set_attrs<EdacAttributes>();
  attributes::read_channels(j, a);
  a.mode = edac_mode_from_name(j.at("mode").get<std::string>());
  attributes::read_copied(j, "duplicated", a);
}

void Edac::write_attributes(const LayerSpec& spec, nlohmann::json& j) {
  const EdacAttributes& a = spec.attrs<EdacAttributes>();
  attributes::write_channels(a, j);
  j["mode"] = edac_mode_name(a.mode);
  attributes::write_copied(a, "duplicated", j);
}

Edac::Edac(LayerSpec spec) : Layer(std::move(spec)) {
  const std::string problem = channel_copies_problem(attributes());
  if (!problem.empty()) fail(problem);
  copy_index_ = copy_index_map(attributes());
}

void Edac::declare_parameters(ParameterStore& store) {
  if (!with_intervals()) return;
  const std::string& n = spec_.name;
  lower_ = store.add(n + ".lower", n, ParamKind::edac_lower, Shape{attributes().out_channels});
  upper_ = store.add(n + ".upper", n, ParamKind::edac_upper, Shape{attributes().out_channels});
}

Shape Edac::output_shape(const Shape& input) const {
  Shape out = channel_copies_output_shape(attributes(), input);
  if (out.rank() == 0) {
    fail(fmt::format("expects input [N, {} + {} copies, ...], got {}", attributes().out_channels,
                     attributes().copied.size(), input.str()));
  }
  return out;
}

void Edac::forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                       CpuContext& ctx) {
  correct(input, params, in, out, kernels::CorrectionEpilogue{}, ctx);
}

void Edac::forward_cpu_fused(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                             CpuContext& ctx) {
  correct(plan.input, params, in, out, kernel_epilogue(plan.epilogue, params), ctx);
}

void Edac::correct(const Shape& input, const ParameterView& params, const float* in, float* out,
                   const kernels::CorrectionEpilogue& epilogue, CpuContext& ctx) const {
  const bool fused = has_epilogue(epilogue);
  const int64_t batch = input[0], channels = attributes().out_channels,
                in_channels = attributes().in_channels;
  const int64_t inner = input.per_item() / in_channels;  // H * W, or 1 after a linear layer
  const bool intervals = with_intervals();
  const float* lower = intervals ? params(lower_) : nullptr;
  const float* upper = intervals ? params(upper_) : nullptr;
  if (inner == 1) {
    // After a linear layer: one value per channel, so the channel is the contiguous (vectorised) loop, and
    // the copied channels get their pair rule in a second, short pass.
    const std::vector<int64_t>& copied = attributes().copied;
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
    for (int64_t n = 0; n < batch; ++n) {
      const float* a = in + n * in_channels;
      float* dst = out + n * channels;
      if (intervals) {
        for (int64_t c = 0; c < channels; ++c) dst[c] = kernels::edac_single(a[c], lower[c], upper[c]);
      } else {
        for (int64_t c = 0; c < channels; ++c) dst[c] = kernels::edac_scrub(a[c]);
      }
      for (size_t k = 0; k < copied.size(); ++k) {
        const int64_t c = copied[k];
        const float b = a[channels + static_cast<int64_t>(k)];
        dst[c] =
            intervals ? kernels::edac_pair(a[c], b, lower[c], upper[c]) : kernels::dup_only_pair(a[c], b);
      }
      if (fused) {
        for (int64_t c = 0; c < channels; ++c) apply_channel_epilogue(epilogue, c, dst + c, 1);
      }
    }
    return;
  }
#pragma omp parallel for collapse(2) num_threads(ctx.threads()) schedule(static)
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const int32_t k = copy_index_[static_cast<size_t>(c)];
      const float* a = in + (n * in_channels + c) * inner;
      const float* b = k < 0 ? nullptr : in + (n * in_channels + channels + k) * inner;
      float* dst = out + (n * channels + c) * inner;
      if (intervals) {
        const float lo = lower[c], hi = upper[c];
        if (b == nullptr) {
          for (int64_t p = 0; p < inner; ++p) dst[p] = kernels::edac_single(a[p], lo, hi);
        } else {
          for (int64_t p = 0; p < inner; ++p) dst[p] = kernels::edac_pair(a[p], b[p], lo, hi);
        }
      } else if (b == nullptr) {
        for (int64_t p = 0; p < inner; ++p) dst[p] = kernels::edac_scrub(a[p]);
      } else {
        for (int64_t p = 0; p < inner; ++p) dst[p] = kernels::dup_only_pair(a[p], b[p]);
      }
      // The absorbed BatchNorm and ReLU over the channel's plane while it is in cache.
      if (fused) apply_channel_epilogue(epilogue, c, dst, inner);
    }
  }
}

}  // namespace ftcnn
