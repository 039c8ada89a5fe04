#include "engine/pruning.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "engine/enum_names.hpp"
#include "engine/error.hpp"
#include "engine/hardening.hpp"
#include "engine/vulnerability/vulnerability.hpp"

namespace ftcnn {
namespace {

constexpr EnumName<PruneScope> kScopes[] = {{PruneScope::layer, "layer"}, {PruneScope::global, "global"}};
constexpr EnumName<ScoreNormalization> kNormalizations[] = {
    {ScoreNormalization::none, "none"}, {ScoreNormalization::mean, "mean"}, {ScoreNormalization::l2, "l2"}};

// floor(x), except that x within 1e-9 of an integer is that integer (as copies_for_ratio does for ceil).
int64_t snapped_floor(double x) {
  const double nearest = std::round(x);
  return static_cast<int64_t>(std::fabs(x - nearest) <= 1e-9 ? nearest : std::floor(x));
}

void check_ratio(double ratio, const std::string& what) {
  FT_CHECK(ratio >= 0.0 && ratio < 1.0, "{} must be in [0, 1), got {}", what, ratio);
}

// One channel of a global ranking: its layer's position among the ranked layers, its index, its score.
struct RankedChannel {
  size_t layer = 0;
  int64_t channel = 0;
  double score = 0.0;
};

// The order rank_channels gives within a layer, extended across layers: NaN first (an overflow: kept), then
// descending score, then the earlier layer, then the lower index. A strict weak order, so the sort is
// deterministic.
bool ranks_above(const RankedChannel& a, const RankedChannel& b) {
  const bool nan_a = std::isnan(a.score), nan_b = std::isnan(b.score);
  if (nan_a != nan_b) return nan_a;
  if (!nan_a && a.score != b.score) return a.score > b.score;
  if (a.layer != b.layer) return a.layer < b.layer;
  return a.channel < b.channel;
}

const std::vector<double>& scores_of(const ChannelScores& scores, const LayerSpec& l) {
  const auto it = scores.find(l.name);
  FT_CHECK(it != scores.end(), "no channel scores for layer '{}'", l.name);
  FT_CHECK(static_cast<int64_t>(it->second.size()) == l.out_channels,
           "layer '{}' has {} channels but {} scores", l.name, l.out_channels, it->second.size());
  return it->second;
}

double ratio_of(const LayerSpec& l, double conv_ratio, double fc_ratio) {
  return l.type == LayerType::conv2d ? conv_ratio : fc_ratio;
}

// What a layer's scores are divided by before a global ranking: their mean or L2 norm over the finite scores
// (a NaN score is an overflow and is kept whatever the scale), 1 for `none` or when that is 0 or not finite.
double normalization_divisor(const std::vector<double>& scores, ScoreNormalization normalization) {
  if (normalization == ScoreNormalization::none) return 1.0;
  double sum = 0.0;
  double squares = 0.0;
  int64_t finite = 0;
  for (const double s : scores) {
    if (!std::isfinite(s)) continue;
    sum += s;
    squares += s * s;
    ++finite;
  }
  const double divisor = normalization == ScoreNormalization::mean
                             ? (finite > 0 ? sum / static_cast<double>(finite) : 0.0)
                             : std::sqrt(squares);
  return divisor > 0.0 && std::isfinite(divisor) ? divisor : 1.0;
}

// Global scope for the layers of one kind: the tail of their joint ranking (scores normalised per layer),
// skipping a channel whose layer would lose its last one, until floor(ratio x total) are removed (or no
// layer can give more).
void plan_global(const std::vector<const LayerSpec*>& layers, const ChannelScores& scores, double ratio,
                 const std::string& what, ScoreNormalization normalization, std::vector<LayerPruning>& plan,
                 const std::vector<size_t>& slots) {
  std::vector<RankedChannel> ranked;
  int64_t total = 0;
  for (size_t k = 0; k < layers.size(); ++k) {
    const std::vector<double>& s = scores_of(scores, *layers[k]);
    const double divisor = normalization_divisor(s, normalization);
    for (int64_t c = 0; c < layers[k]->out_channels; ++c) {
      ranked.push_back({k, c, s[static_cast<size_t>(c)] / divisor});
    }
    total += layers[k]->out_channels;
  }
  if (total == 0) return;
  int64_t wanted = removals_for_ratio(ratio, total, what);
  std::sort(ranked.begin(), ranked.end(), ranks_above);
  std::vector<int64_t> remaining(layers.size());
  for (size_t k = 0; k < layers.size(); ++k) remaining[k] = layers[k]->out_channels;
  for (auto it = ranked.rbegin(); it != ranked.rend() && wanted > 0; ++it) {
    if (remaining[it->layer] <= 1) continue;  // the layer's last channel stays
    --remaining[it->layer];
    --wanted;
    plan[slots[it->layer]].removed.push_back(it->channel);
  }
}

// A tensor [d0, d1, inner...] restricted to rows `rows` of dim 0 and columns `cols` of dim 1 (nullptr: all),
// in their order, copied to `out`.
void gather(const float* in, const Shape& shape, const std::vector<int64_t>* rows,
            const std::vector<int64_t>* cols, float* out) {
  const int64_t d0 = shape[0];
  const int64_t d1 = shape.rank() > 1 ? shape[1] : 1;
  const int64_t inner = d0 * d1 > 0 ? shape.numel() / (d0 * d1) : 0;
  const int64_t row_count = rows ? static_cast<int64_t>(rows->size()) : d0;
  const int64_t col_count = cols ? static_cast<int64_t>(cols->size()) : d1;
  for (int64_t r = 0; r < row_count; ++r) {
    const int64_t row = rows ? (*rows)[static_cast<size_t>(r)] : r;
    for (int64_t c = 0; c < col_count; ++c) {
      const int64_t col = cols ? (*cols)[static_cast<size_t>(c)] : c;
      const float* from = in + (row * d1 + col) * inner;
      std::copy(from, from + inner, out);
      out += inner;
    }
  }
}

const std::vector<int64_t>* find_selection(const std::map<std::string, std::vector<int64_t>>& map,
                                           const std::string& layer) {
  const auto it = map.find(layer);
  return it == map.end() ? nullptr : &it->second;
}

}  // namespace

const char* prune_scope_name(PruneScope scope) {
  return enum_name(kScopes, scope);
}

PruneScope prune_scope_from_name(const std::string& name) {
  return enum_from_name(kScopes, name, "pruning scope");
}

const char* score_normalization_name(ScoreNormalization normalization) {
  return enum_name(kNormalizations, normalization);
}

ScoreNormalization score_normalization_from_name(const std::string& name) {
  return enum_from_name(kNormalizations, name, "score normalization");
}

std::vector<const LayerSpec*> prunable_layers(const ModelSpec& spec) {
  for (const LayerSpec& l : spec.layers) {
    FT_CHECK(l.type != LayerType::edac && l.type != LayerType::tmr_vote,
             "layer {} ({}): the model is hardened; prune the plain model first, then harden the pruned one",
             l.name, layer_type_name(l.type));
  }
  const auto weighted = std::count_if(spec.layers.begin(), spec.layers.end(), [](const LayerSpec& l) {
    return l.type == LayerType::conv2d || l.type == LayerType::linear;
  });
  FT_CHECK(weighted >= 2, "architecture '{}' has no conv2d or linear layer to prune besides its output layer",
           spec.arch);
  std::vector<const LayerSpec*> layers = protected_layers(spec);
  layers.pop_back();  // the classifier's output layer: its outputs are the classes
  return layers;
}

int64_t removals_for_ratio(double ratio, int64_t channels, const std::string& what) {
  check_ratio(ratio, what);
  return std::clamp<int64_t>(snapped_floor(ratio * static_cast<double>(channels)), 0,
                             std::max<int64_t>(0, channels - 1));
}

std::vector<int64_t> LayerPruning::kept() const {
  std::vector<int64_t> keep;
  size_t next = 0;
  for (int64_t c = 0; c < channels; ++c) {
    if (next < removed.size() && removed[next] == c) {
      ++next;
    } else {
      keep.push_back(c);
    }
  }
  return keep;
}

std::vector<LayerPruning> plan_pruning(const ModelSpec& spec, const ChannelScores& scores, double conv_ratio,
                                       double fc_ratio, PruneScope scope, ScoreNormalization normalization) {
  check_ratio(conv_ratio, "the conv2d ratio");
  check_ratio(fc_ratio, "the linear ratio");
  FT_CHECK(scope == PruneScope::global || normalization == ScoreNormalization::none,
           "score normalization {}: only global scope compares scores across layers; layer scope takes none",
           score_normalization_name(normalization));
  const std::vector<const LayerSpec*> layers = prunable_layers(spec);
  std::vector<LayerPruning> plan;
  for (const LayerSpec* l : layers) {
    scores_of(scores, *l);  // every layer's scores checked before anything is chosen
    plan.push_back({l->name, l->type, l->out_channels, {}});
  }
  switch (scope) {
    case PruneScope::layer:
      for (size_t k = 0; k < layers.size(); ++k) {
        const LayerSpec& l = *layers[k];
        const bool conv = l.type == LayerType::conv2d;
        const int64_t count = removals_for_ratio(ratio_of(l, conv_ratio, fc_ratio), l.out_channels,
                                                 conv ? "the conv2d ratio" : "the linear ratio");
        // The ranking lists the most important first: its tail goes.
        const std::vector<int64_t> ranking = rank_channels(scores_of(scores, l));
        plan[k].removed.assign(ranking.end() - count, ranking.end());
      }
      break;
    case PruneScope::global:
      for (const LayerType type : {LayerType::conv2d, LayerType::linear}) {
        std::vector<const LayerSpec*> group;
        std::vector<size_t> slots;
        for (size_t k = 0; k < layers.size(); ++k) {
          if (layers[k]->type != type) continue;
          group.push_back(layers[k]);
          slots.push_back(k);
        }
        const bool conv = type == LayerType::conv2d;
        plan_global(group, scores, conv ? conv_ratio : fc_ratio,
                    conv ? "the conv2d ratio" : "the linear ratio", normalization, plan, slots);
      }
      break;
  }
  for (LayerPruning& p : plan) std::sort(p.removed.begin(), p.removed.end());
  return plan;
}

std::unique_ptr<Graph> build_pruned_graph(const Graph& source, const std::vector<LayerPruning>& plan) {
  const ModelSpec& spec = source.spec();
  std::set<std::string> prunable;
  for (const LayerSpec* l : prunable_layers(spec)) prunable.insert(l->name);

  // Check the plan against the model and turn it into kept-channel lists.
  std::map<std::string, std::vector<int64_t>> own_keep;  // conv2d / linear: output channels kept
  for (const LayerPruning& p : plan) {
    FT_CHECK(prunable.count(p.layer) == 1,
             "the pruning plan names layer '{}', which is not a prunable conv2d / linear layer of '{}' (the "
             "output layer is never pruned)",
             p.layer, spec.arch);
    FT_CHECK(own_keep.count(p.layer) == 0, "the pruning plan names layer '{}' twice", p.layer);
    const LayerSpec& l = *std::find_if(spec.layers.begin(), spec.layers.end(),
                                       [&](const LayerSpec& s) { return s.name == p.layer; });
    FT_CHECK(p.channels == l.out_channels, "the pruning plan gives layer {} {} channels, the model {}",
             p.layer, p.channels, l.out_channels);
    for (size_t k = 0; k < p.removed.size(); ++k) {
      const int64_t c = p.removed[k];
      FT_CHECK(c >= 0 && c < p.channels, "the pruning plan removes channel {} of layer {}, which has {}", c,
               p.layer, p.channels);
      FT_CHECK(k == 0 || p.removed[k - 1] < c,
               "the pruning plan's removed channels of layer {} are not ascending", p.layer);
    }
    FT_CHECK(static_cast<int64_t>(p.removed.size()) < p.channels,
             "the pruning plan removes all {} channels of layer {} (at least one must stay)", p.channels,
             p.layer);
    if (!p.removed.empty()) own_keep[p.layer] = p.kept();
  }

  FT_CHECK(source.is_chain(),
           "model '{}' is not sequential (its nodes branch or join): pruning takes sequential models so far",
           spec.arch);
  // Follow the channels forward. `selection` holds the source indices kept along dimension 1 of the current
  // activation (channels, or features after flatten); `selecting` is false while nothing is removed there.
  const std::vector<Shape> shapes = source.output_shapes(1);
  const Shape input = source.input_shape(1);
  std::map<std::string, std::vector<int64_t>> in_keep;  // conv2d / linear: input channels / features kept
  std::map<std::string, std::vector<int64_t>> bn_keep;  // batchnorm2d: entries kept
  std::vector<int64_t> selection;
  bool selecting = false;
  ModelSpec pruned = spec;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& l = spec.layers[i];
    LayerSpec& p = pruned.layers[i];
    const Shape& in_shape = i == 0 ? input : shapes[i - 1];
    const Layer& layer = source.layer(static_cast<int>(i));
    switch (layer.channel_map()) {
      case ChannelMap::owns: {
        if (selecting) {
          // The selection is of channels; a layer that reads an [N, C, H, W] input as C * H * W features
          // (a linear layer with no flatten before it) would need them spread over the plane first.
          FT_CHECK(in_shape[1] == l.in_channels,
                   "layer {}: a {} on a {} input whose channels are pruned (expected a flatten first)",
                   l.name, layer_type_name(l.type), in_shape.str());
          p.in_channels = static_cast<int64_t>(selection.size());
          in_keep[l.name] = selection;
        }
        const auto own = own_keep.find(l.name);
        selecting = own != own_keep.end();
        if (selecting) {
          selection = own->second;
          p.out_channels = static_cast<int64_t>(selection.size());
        }
        break;
      }
      case ChannelMap::per_channel:
        if (selecting) {
          p.in_channels = p.out_channels = static_cast<int64_t>(selection.size());
          bn_keep[l.name] = selection;
        }
        break;
      case ChannelMap::flattens:
        if (selecting && in_shape.rank() > 2) {
          // Channel c of [N, C, H, W] owns the H x W consecutive features [c H W, (c + 1) H W).
          const int64_t spatial = in_shape.per_item() / in_shape[1];
          std::vector<int64_t> features;
          features.reserve(selection.size() * static_cast<size_t>(spatial));
          for (int64_t c : selection) {
            for (int64_t s = 0; s < spatial; ++s) features.push_back(c * spatial + s);
          }
          selection = std::move(features);
        }
        break;
      case ChannelMap::passes:
        break;
      case ChannelMap::ties_inputs:
      case ChannelMap::concatenates:
        FT_THROW("layer {} ({}): pruning takes sequential models so far; this one joins branches", l.name,
                 layer_type_name(l.type));
      case ChannelMap::corrects:
        FT_THROW(
            "layer {} ({}): the model is hardened; prune the plain model first, then harden the pruned one",
            l.name, layer_type_name(l.type));
    }
  }
  FT_CHECK(!selecting, "the output layer {} would lose outputs", spec.layers.back().name);

  auto graph = std::make_unique<Graph>(std::move(pruned));
  ParameterStore& dst = graph->parameters();
  const ParameterStore& src = source.parameters();
  for (int i = 0; i < dst.size(); ++i) {
    const ParameterInfo& p = dst.info(i);
    const int j = src.find(p.name);
    FT_CHECK(j >= 0, "parameter '{}' of the pruned model has no source", p.name);
    const ParameterInfo& q = src.info(j);
    const std::vector<int64_t>* rows = nullptr;
    const std::vector<int64_t>* cols = nullptr;
    switch (p.kind) {
      case ParamKind::weight:
        rows = find_selection(own_keep, p.layer);
        cols = find_selection(in_keep, p.layer);
        break;
      case ParamKind::bias:
        rows = find_selection(own_keep, p.layer);
        break;
      case ParamKind::bn_weight:
      case ParamKind::bn_bias:
      case ParamKind::bn_running_mean:
      case ParamKind::bn_running_var:
        rows = find_selection(bn_keep, p.layer);
        break;
      case ParamKind::edac_lower:
      case ParamKind::edac_upper:
        FT_THROW("parameter '{}' belongs to a hardening layer: prune the plain model first", p.name);
    }
    const int64_t q0 = q.shape[0], q1 = q.shape.rank() > 1 ? q.shape[1] : 1;
    const int64_t inner = q0 * q1 > 0 ? q.numel() / (q0 * q1) : 0;
    const int64_t expected = (rows ? static_cast<int64_t>(rows->size()) : q0) *
                             (cols ? static_cast<int64_t>(cols->size()) : q1) * inner;
    FT_CHECK(p.numel() == expected, "parameter '{}': the pruned shape {} does not fit the source shape {}",
             p.name, p.shape.str(), q.shape.str());
    gather(src.host(j), q.shape, rows, cols, dst.host(i));
  }
  return graph;
}

}  // namespace ftcnn
