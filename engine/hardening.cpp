#include "engine/hardening.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "engine/enum_names.hpp"
#include "engine/error.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/conv2d.hpp"
#include "engine/vulnerability/vulnerability.hpp"

namespace ftcnn {
namespace {

constexpr EnumName<HardenMode> kHardenModes[] = {
    {HardenMode::edac, "edac"}, {HardenMode::dup_only, "dup-only"}, {HardenMode::tmr, "tmr"}};

// Copies of each copied channel a mode adds to the protected layer.
int64_t copies_each(HardenMode mode) {
  switch (mode) {
    case HardenMode::edac:
    case HardenMode::dup_only:
      return 1;
    case HardenMode::tmr:
      return 2;
  }
  return 1;
}

std::string correction_layer_name(const std::string& layer, HardenMode mode) {
  return layer + (mode == HardenMode::tmr ? ".vote" : ".edac");
}

}  // namespace

std::string permutation_problem(const std::vector<int64_t>& order, int64_t channels) {
  if (static_cast<int64_t>(order.size()) != channels) {
    return fmt::format("has {} entries for {} channels", order.size(), channels);
  }
  std::vector<bool> seen(static_cast<size_t>(channels), false);
  for (int64_t c : order) {
    if (c < 0 || c >= channels) return fmt::format("holds {}, not a channel in [0, {})", c, channels);
    if (seen[static_cast<size_t>(c)]) return fmt::format("lists channel {} twice", c);
    seen[static_cast<size_t>(c)] = true;
  }
  return "";
}

const char* harden_mode_name(HardenMode mode) {
  return enum_name(kHardenModes, mode);
}

HardenMode harden_mode_from_name(const std::string& name) {
  return enum_from_name(kHardenModes, name, "hardening mode");
}

std::vector<const LayerSpec*> weighted_layers_of(const ModelSpec& spec) {
  std::vector<const LayerSpec*> layers;
  for (const LayerSpec& l : spec.layers) {
    FT_CHECK(l.type != LayerType::edac && l.type != LayerType::tmr_vote,
             "layer {} is a {} layer: the model is hardened already", l.name, layer_type_name(l.type));
    if (l.type == LayerType::conv2d || l.type == LayerType::linear) layers.push_back(&l);
  }
  FT_CHECK(!layers.empty(), "architecture '{}' has no conv2d or linear layer", spec.arch);
  return layers;
}

ChannelRankings rank_channels_l1(const Graph& graph) {
  const ParameterStore& store = graph.parameters();
  ChannelRankings rankings;
  for (const LayerSpec* l : weighted_layers_of(graph.spec())) {
    const int index = store.find(l->name + ".weight");
    FT_CHECK(index >= 0, "layer {} has no weight tensor", l->name);
    const int64_t channels = out_channels_of(*l), row = store.info(index).numel() / channels;
    const float* weight = store.host(index);
    std::vector<double> norm(static_cast<size_t>(channels), 0.0);
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < row; ++i) norm[static_cast<size_t>(c)] += std::fabs(weight[c * row + i]);
    }
    std::vector<int64_t> order(static_cast<size_t>(channels));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return norm[static_cast<size_t>(a)] > norm[static_cast<size_t>(b)];
    });
    rankings[l->name] = std::move(order);
  }
  return rankings;
}

ChannelRankings rank_channels_random(const Graph& graph, uint64_t seed) {
  ChannelRankings rankings;
  int64_t position = 0;
  for (const LayerSpec* l : weighted_layers_of(graph.spec())) {
    std::vector<double> scores(static_cast<size_t>(out_channels_of(*l)));
    for (int64_t c = 0; c < out_channels_of(*l); ++c) {
      scores[static_cast<size_t>(c)] = random_channel_score(seed, position, c);
    }
    rankings[l->name] = rank_channels(scores);
    ++position;
  }
  return rankings;
}

int64_t copies_for_ratio(double ratio, int64_t channels) {
  FT_CHECK(ratio >= 0.0 && ratio <= 1.0, "the hardening ratio must be in [0, 1], got {}", ratio);
  const double exact = ratio * static_cast<double>(channels);
  const double nearest = std::round(exact);
  const double count = std::fabs(exact - nearest) <= 1e-9 ? nearest : std::ceil(exact);
  return std::min(channels, static_cast<int64_t>(count));
}

std::vector<LayerHardening> plan_hardening(const ModelSpec& spec, const ChannelRankings& rankings,
                                           double ratio) {
  const std::vector<const LayerSpec*> layers = weighted_layers_of(spec);
  std::vector<LayerHardening> plan;
  for (const LayerSpec* l : layers) {
    const bool output_layer = l == layers.back();  // always fully copied (paper, Sec. II-B2)
    const auto it = rankings.find(l->name);
    FT_CHECK(it != rankings.end(), "no channel ranking for layer '{}'", l->name);
    const int64_t channels = l->attrs<ChannelAttributes>().out_channels;
    const std::string problem = permutation_problem(it->second, channels);
    FT_CHECK(problem.empty(), "the channel ranking of layer '{}' {}", l->name, problem);
    const int64_t count = output_layer ? channels : copies_for_ratio(ratio, channels);
    LayerHardening h{l->name, channels, {}};
    h.copied.assign(it->second.begin(), it->second.begin() + count);
    std::sort(h.copied.begin(), h.copied.end());
    plan.push_back(std::move(h));
  }
  return plan;
}

std::unique_ptr<Graph> build_hardened_graph(const Graph& plain, const std::vector<LayerHardening>& plan,
                                            HardenMode mode, const IntervalProfile* intervals) {
  const ModelSpec& spec = plain.spec();
  const int64_t each = copies_each(mode);
  std::map<std::string, const LayerHardening*> by_layer;
  for (const LayerHardening& h : plan) by_layer[h.layer] = &h;

  // Intervals first, so a missing layer is named before anything is built.
  std::map<std::string, const LayerInterval*> interval_of;  // by correction layer name
  if (mode == HardenMode::edac) {
    FT_CHECK(intervals != nullptr, "mode edac needs detection intervals (ftcnn profile makes them)");
    const std::string source = intervals->source.empty() ? "the intervals" : intervals->source;
    for (const LayerHardening& h : plan) {
      const LayerInterval* interval = intervals->find(h.layer);
      FT_CHECK(interval != nullptr, "{}: no intervals for layer '{}' (missing '{}/lower', '{}/upper')",
               source, h.layer, h.layer, h.layer);
      FT_CHECK(static_cast<int64_t>(interval->lower.size()) == h.channels,
               "{}: layer '{}' has intervals for {} channels, the model {}", source, h.layer,
               interval->lower.size(), h.channels);
      interval_of[correction_layer_name(h.layer, mode)] = interval;
    }
  }

  ModelSpec hardened = spec;
  hardened.layers.clear();
  std::set<std::string> names;
  for (const LayerSpec& l : spec.layers) names.insert(l.name);
  size_t used = 0;
  for (const LayerSpec& l : spec.layers) {
    const auto it = by_layer.find(l.name);
    if (it == by_layer.end()) {
      hardened.layers.push_back(l);
      continue;
    }
    const LayerHardening& h = *it->second;
    FT_CHECK(l.type == LayerType::conv2d || l.type == LayerType::linear,
             "layer {} is a {} layer, not a conv2d or linear layer", l.name, layer_type_name(l.type));
    const int64_t channels = l.attrs<ChannelAttributes>().out_channels;
    FT_CHECK(h.channels == channels, "the hardening plan gives layer {} {} channels, the model {}", l.name,
             h.channels, channels);
    const std::string correction = correction_layer_name(l.name, mode);
    FT_CHECK(names.count(correction) == 0, "the model already has a layer named '{}'", correction);
    LayerSpec grown = l;
    grown.attrs<ChannelAttributes>().out_channels = channels + each * static_cast<int64_t>(h.copied.size());
    hardened.layers.push_back(std::move(grown));
    hardened.layers.push_back(
        mode == HardenMode::tmr ? tmr_vote_spec(correction, channels, h.copied)
                                : edac_spec(correction, channels, h.copied,
                                            mode == HardenMode::edac ? EdacMode::edac : EdacMode::dup_only));
    ++used;
  }
  FT_CHECK(used == plan.size(), "the hardening plan names layers the model does not have");
  // A node that named a protected layer as its input now reads that layer's correction (a node that names
  // none reads the node before it, which is the correction already).
  std::map<std::string, std::string> corrected;
  for (const LayerHardening& h : plan) corrected[h.layer] = correction_layer_name(h.layer, mode);
  for (LayerSpec& l : hardened.layers) {
    if (l.type == LayerType::edac || l.type == LayerType::tmr_vote) continue;
    for (std::string& input : l.inputs) {
      const auto it = corrected.find(input);
      if (it != corrected.end()) input = it->second;
    }
  }

  auto graph = std::make_unique<Graph>(std::move(hardened));
  ParameterStore& dst = graph->parameters();
  const ParameterStore& src = plain.parameters();
  for (int i = 0; i < dst.size(); ++i) {
    const ParameterInfo& p = dst.info(i);
    float* out = dst.host(i);
    if (p.kind == ParamKind::edac_lower || p.kind == ParamKind::edac_upper) {
      const LayerInterval& interval = *interval_of.at(p.layer);
      const std::vector<float>& bounds = p.kind == ParamKind::edac_lower ? interval.lower : interval.upper;
      std::copy(bounds.begin(), bounds.end(), out);
      continue;
    }
    const int j = src.find(p.name);
    FT_CHECK(j >= 0, "parameter '{}' of the hardened model has no source", p.name);
    const ParameterInfo& q = src.info(j);
    const float* in = src.host(j);
    const auto it = by_layer.find(p.layer);
    if (it == by_layer.end() || (p.kind != ParamKind::weight && p.kind != ParamKind::bias)) {
      FT_CHECK(p.shape == q.shape, "parameter '{}': hardened shape {} differs from {}", p.name, p.shape.str(),
               q.shape.str());
      std::copy(in, in + q.numel(), out);
      continue;
    }
    // Rows [0, C) are the originals; copy s of copied channel k is row C + s * D + k.
    const LayerHardening& h = *it->second;
    const int64_t channels = h.channels, copied = static_cast<int64_t>(h.copied.size());
    const int64_t row = q.numel() / channels;
    FT_CHECK(p.numel() == (channels + each * copied) * row, "parameter '{}': {} elements, expected {}",
             p.name, p.numel(), (channels + each * copied) * row);
    std::copy(in, in + q.numel(), out);
    for (int64_t s = 0; s < each; ++s) {
      for (int64_t k = 0; k < copied; ++k) {
        const float* from = in + h.copied[static_cast<size_t>(k)] * row;
        std::copy(from, from + row, out + (channels + s * copied + k) * row);
      }
    }
  }
  return graph;
}

}  // namespace ftcnn
