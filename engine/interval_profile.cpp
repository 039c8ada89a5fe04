#include "engine/interval_profile.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/error.hpp"
#include "engine/layers/attributes.hpp"

namespace ftcnn {
namespace {

bool is_protectable(LayerType type) {
  return type == LayerType::conv2d || type == LayerType::linear;
}

}  // namespace

const LayerInterval* IntervalProfile::find(const std::string& layer) const {
  for (const LayerInterval& l : layers) {
    if (l.layer == layer) return &l;
  }
  return nullptr;
}

IntervalProfiler::IntervalProfiler(Graph& graph, int threads) : graph_(graph), cpu_(threads) {
  ctx_.cpu = &cpu_;
  for (int i = 0; i < graph_.size(); ++i) {
    const LayerSpec& spec = graph_.layer(i).spec();
    FT_CHECK(spec.type != LayerType::edac && spec.type != LayerType::tmr_vote,
             "layer {} is a {} layer: profile the plain model, not a hardened one", spec.name,
             layer_type_name(spec.type));
    if (!is_protectable(spec.type)) {
      profiled_layer_.push_back(-1);
      continue;
    }
    profiled_layer_.push_back(static_cast<int>(profile_.layers.size()));
    const size_t channels = static_cast<size_t>(spec.attrs<ChannelAttributes>().out_channels);
    profile_.layers.push_back(
        LayerInterval{spec.name, std::vector<float>(channels, std::numeric_limits<float>::infinity()),
                      std::vector<float>(channels, -std::numeric_limits<float>::infinity())});
  }
  FT_CHECK(!profile_.layers.empty(), "architecture '{}' has no conv2d or linear layer to profile",
           graph_.spec().arch);
}

void IntervalProfiler::add(const float* input, int64_t batch) {
  if (batch <= 0) return;
  const GraphPlan& plan = plans_.get(ctx_, batch);
  arena_.resize(std::max(arena_.size(), static_cast<size_t>(plans_.arena_floats())));
  logits_.resize(static_cast<size_t>(plan.shapes.back().numel()));
  LayerHooks hooks;
  hooks.after = [this](int layer, const Shape& shape, float* out) { fold(layer, shape, out); };
  graph_.run(ctx_, plan, ParameterView(graph_.parameters(), graph_.parameters().arena().data()), input,
             arena_.data(), logits_.data(), &hooks);
  profile_.images += batch;
}

void IntervalProfiler::fold(int layer, const Shape& shape, const float* out) {
  const int index = profiled_layer_[static_cast<size_t>(layer)];
  if (index < 0) return;
  LayerInterval& interval = profile_.layers[static_cast<size_t>(index)];
  const int64_t batch = shape[0], channels = shape[1];
  const int64_t inner = shape.per_item() / channels;  // H * W, or 1 after a linear layer
  int64_t non_finite = 0;
#pragma omp parallel for num_threads(cpu_.threads()) schedule(static) reduction(+ : non_finite)
  for (int64_t c = 0; c < channels; ++c) {
    float lo = interval.lower[static_cast<size_t>(c)], hi = interval.upper[static_cast<size_t>(c)];
    for (int64_t n = 0; n < batch; ++n) {
      const float* values = out + (n * channels + c) * inner;
      for (int64_t p = 0; p < inner; ++p) {
        const float v = values[p];
        if (!std::isfinite(v)) {
          ++non_finite;
          continue;
        }
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
    interval.lower[static_cast<size_t>(c)] = lo;
    interval.upper[static_cast<size_t>(c)] = hi;
  }
  FT_CHECK(non_finite == 0, "layer {}: {} NaN or Inf outputs on the profiling inputs (a broken model?)",
           graph_.layer(layer).name(), non_finite);
}

IntervalProfile widen_intervals(const IntervalProfile& profile, double margin) {
  FT_CHECK(margin >= 0.0 && std::isfinite(margin), "the interval margin must be a finite value >= 0, got {}",
           margin);
  IntervalProfile widened = profile;
  for (LayerInterval& l : widened.layers) {
    for (size_t c = 0; c < l.lower.size(); ++c) {
      const double lo = l.lower[c], hi = l.upper[c];
      const double m = margin * std::max(std::fabs(lo), std::fabs(hi));
      l.lower[c] = static_cast<float>(lo - m);
      l.upper[c] = static_cast<float>(hi + m);
    }
  }
  return widened;
}

}  // namespace ftcnn
