#include "engine/pruning.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "engine/enum_names.hpp"
#include "engine/error.hpp"
#include "engine/hardening.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/conv2d.hpp"
#include "engine/pruning_units.hpp"
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

// A unit in a ranking: its index (units are ordered by their first channel) and its score.
struct RankedUnit {
  int unit = 0;
  double score = 0.0;
};

// The order rank_channels gives within a layer, extended to units across layers: NaN first (an overflow:
// kept), then descending score, then the unit with the earlier first channel. A strict weak order, so the
// sort is deterministic.
bool ranks_above(const RankedUnit& a, const RankedUnit& b) {
  const bool nan_a = std::isnan(a.score), nan_b = std::isnan(b.score);
  if (nan_a != nan_b) return nan_a;
  if (!nan_a && a.score != b.score) return a.score > b.score;
  return a.unit < b.unit;
}

const std::vector<double>& scores_of(const ChannelScores& scores, const LayerSpec& l) {
  const auto it = scores.find(l.name);
  FT_CHECK(it != scores.end(), "no channel scores for layer '{}'", l.name);
  const int64_t channels = l.attrs<ChannelAttributes>().out_channels;
  FT_CHECK(static_cast<int64_t>(it->second.size()) == channels, "layer '{}' has {} channels but {} scores",
           l.name, channels, it->second.size());
  return it->second;
}

double ratio_of(const LayerSpec& l, double conv_ratio, double fc_ratio) {
  return l.type == LayerType::conv2d ? conv_ratio : fc_ratio;
}

const char* ratio_name(const LayerSpec& l) {
  return l.type == LayerType::conv2d ? "the conv2d ratio" : "the linear ratio";
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

// A unit's score: the sum of its channels' scores, each divided by its layer's divisor. For Eq. (1) and l1
// that is the score of the union of the channels' weights (both are sums over the weights).
double unit_score(const std::vector<UnitMember>& unit, const std::vector<const std::vector<double>*>& scores,
                  const std::vector<double>& divisors) {
  double sum = 0.0;
  for (const UnitMember& m : unit)
    sum += (*scores[m.layer])[static_cast<size_t>(m.channel)] / divisors[m.layer];
  return sum;
}

// Removes the tail of the ranking of `ranked` (the lowest score first), skipping a unit that would take a
// layer's last channel, until `wanted` units are gone or none can go. `remaining` holds every layer's
// channels.
void remove_lowest(std::vector<RankedUnit> ranked, int64_t wanted, const PruningUnits& units,
                   std::vector<int64_t>& remaining, std::vector<LayerPruning>& plan) {
  std::sort(ranked.begin(), ranked.end(), ranks_above);
  std::map<size_t, int64_t> taken;  // channels a unit takes from each of its layers
  for (auto it = ranked.rbegin(); it != ranked.rend() && wanted > 0; ++it) {
    const std::vector<UnitMember>& unit = units.units[static_cast<size_t>(it->unit)];
    taken.clear();
    for (const UnitMember& m : unit) ++taken[m.layer];
    const bool leaves_one = std::all_of(taken.begin(), taken.end(),
                                        [&](const auto& t) { return remaining[t.first] - t.second >= 1; });
    if (!leaves_one) continue;  // a layer's last channel stays
    for (const UnitMember& m : unit) {
      --remaining[m.layer];
      plan[m.layer].removed.push_back(m.channel);
    }
    --wanted;
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
  std::vector<const LayerSpec*> layers = weighted_layers_of(spec);
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

std::vector<LayerPruning> plan_pruning(const Graph& graph, const ChannelScores& scores, double conv_ratio,
                                       double fc_ratio, PruneScope scope, ScoreNormalization normalization) {
  check_ratio(conv_ratio, "the conv2d ratio");
  check_ratio(fc_ratio, "the linear ratio");
  FT_CHECK(scope == PruneScope::global || normalization == ScoreNormalization::none,
           "score normalization {}: only global scope compares scores across layers; layer scope takes none",
           score_normalization_name(normalization));
  const PruningUnits units = pruning_units(graph);
  const std::vector<const LayerSpec*>& layers = units.layers;
  std::vector<LayerPruning> plan;
  std::vector<const std::vector<double>*> layer_scores;
  std::vector<int64_t> remaining;
  for (const LayerSpec* l : layers) {
    layer_scores.push_back(&scores_of(scores, *l));  // every layer's scores checked before anything is chosen
    plan.push_back({l->name, l->type, out_channels_of(*l), {}, units.tied_with[plan.size()]});
    remaining.push_back(out_channels_of(*l));
  }
  // The kind of a unit (and so its ratio) is its first channel's layer's.
  auto first_layer = [&](size_t unit) -> const LayerSpec& {
    return *layers[units.units[unit].front().layer];
  };
  switch (scope) {
    case PruneScope::layer: {
      // Layers that share a unit are ranked as one: floor(ratio x units) of their units go, the ones whose
      // channels' scores sum lowest. A layer that shares nothing is ranked alone, one unit per channel.
      std::vector<size_t> group(layers.size());
      std::iota(group.begin(), group.end(), size_t{0});
      const auto root = [&](size_t k) {
        while (group[k] != k) k = group[k];
        return k;
      };
      for (const std::vector<UnitMember>& unit : units.units) {
        for (const UnitMember& m : unit) {
          const size_t a = root(unit.front().layer), b = root(m.layer);
          group[std::max(a, b)] = std::min(a, b);
        }
      }
      const std::vector<double> divisors(layers.size(), 1.0);
      std::map<size_t, std::vector<RankedUnit>> ranked_by_group;  // by the group's first layer
      for (size_t u = 0; u < units.units.size(); ++u) {
        ranked_by_group[root(units.units[u].front().layer)].push_back(
            {static_cast<int>(u), unit_score(units.units[u], layer_scores, divisors)});
      }
      for (auto& [first, ranked] : ranked_by_group) {
        const LayerSpec& l = *layers[first];
        const int64_t count = removals_for_ratio(ratio_of(l, conv_ratio, fc_ratio),
                                                 static_cast<int64_t>(ranked.size()), ratio_name(l));
        remove_lowest(std::move(ranked), count, units, remaining, plan);
      }
      break;
    }
    case PruneScope::global:
      // All conv2d units together, all linear units apart from them, each channel's score divided by its
      // layer's divisor first.
      {
        std::vector<double> divisors;
        for (const std::vector<double>* s : layer_scores)
          divisors.push_back(normalization_divisor(*s, normalization));
        for (const LayerType type : {LayerType::conv2d, LayerType::linear}) {
          std::vector<RankedUnit> ranked;
          for (size_t u = 0; u < units.units.size(); ++u) {
            if (first_layer(u).type != type) continue;
            ranked.push_back({static_cast<int>(u), unit_score(units.units[u], layer_scores, divisors)});
          }
          if (ranked.empty()) continue;
          const bool conv = type == LayerType::conv2d;
          const int64_t count =
              removals_for_ratio(conv ? conv_ratio : fc_ratio, static_cast<int64_t>(ranked.size()),
                                 conv ? "the conv2d ratio" : "the linear ratio");
          remove_lowest(std::move(ranked), count, units, remaining, plan);
        }
        break;
      }
  }
  for (LayerPruning& p : plan) std::sort(p.removed.begin(), p.removed.end());
  return plan;
}

std::unique_ptr<Graph> build_pruned_graph(const Graph& source, const std::vector<LayerPruning>& plan) {
  const ModelSpec& spec = source.spec();
  const PruningUnits units = pruning_units(source);
  std::set<std::string> prunable;
  for (const LayerSpec* l : units.layers) prunable.insert(l->name);

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
    const int64_t channels = l.attrs<ChannelAttributes>().out_channels;
    FT_CHECK(p.channels == channels, "the pruning plan gives layer {} {} channels, the model {}", p.layer,
             p.channels, channels);
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

  // A plan removes whole units: a channel an add ties to others goes with them or stays with them.
  std::vector<std::vector<bool>> removed(units.layers.size());
  std::vector<bool> unit_removed(units.units.size(), false);
  for (size_t k = 0; k < units.layers.size(); ++k) {
    removed[k].assign(static_cast<size_t>(out_channels_of(*units.layers[k])), false);
    const auto own = own_keep.find(units.layers[k]->name);
    if (own == own_keep.end()) continue;
    std::fill(removed[k].begin(), removed[k].end(), true);
    for (int64_t c : own->second) removed[k][static_cast<size_t>(c)] = false;
    for (size_t c = 0; c < removed[k].size(); ++c) {
      if (!removed[k][c]) continue;
      const int unit = units.unit_of[k][c];
      FT_CHECK(
          unit >= 0,
          "the pruning plan removes channel {} of layer {}, which cannot be removed: an add ties it to the "
          "model input or the output layer, a linear layer reads it without a flatten, or a grouped "
          "convolution (not depthwise) reads or makes it",
          c, units.layers[k]->name);
      unit_removed[static_cast<size_t>(unit)] = true;
    }
  }
  for (size_t u = 0; u < units.units.size(); ++u) {
    if (!unit_removed[u]) continue;
    const std::vector<UnitMember>& unit = units.units[u];
    const auto kept = std::find_if(unit.begin(), unit.end(), [&](const UnitMember& m) {
      return !removed[m.layer][static_cast<size_t>(m.channel)];
    });
    const auto gone = std::find_if(unit.begin(), unit.end(), [&](const UnitMember& m) {
      return removed[m.layer][static_cast<size_t>(m.channel)];
    });
    FT_CHECK(kept == unit.end(),
             "the pruning plan removes channel {} of layer {} but keeps channel {} of layer {}: an add ties "
             "them (remove both or neither)",
             gone->channel, units.layers[gone->layer]->name, kept->channel, units.layers[kept->layer]->name);
  }

  // What each layer reads and keeps: the positions of its input whose unit stays.
  auto kept_positions = [&](const std::vector<int>& carried) {
    std::vector<int64_t> keep;
    for (size_t p = 0; p < carried.size(); ++p) {
      if (carried[p] < 0 || !unit_removed[static_cast<size_t>(carried[p])])
        keep.push_back(static_cast<int64_t>(p));
    }
    return keep;
  };
  std::map<std::string, std::vector<int64_t>> in_keep;  // conv2d / linear: input channels / features kept
  std::map<std::string, std::vector<int64_t>> bn_keep;  // batchnorm2d: entries kept
  ModelSpec pruned = spec;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& l = spec.layers[i];
    LayerSpec& p = pruned.layers[i];
    const Layer& layer = source.layer(static_cast<int>(i));
    const std::vector<int>& read = units.read[i].front();
    switch (layer.channel_map()) {
      case ChannelMap::owns: {
        std::vector<int64_t> keep = kept_positions(read);
        const auto own = own_keep.find(l.name);
        const Conv2dAttributes* conv = l.find_attrs<Conv2dAttributes>();
        if (conv != nullptr && is_depthwise(*conv)) {
          // Its input channel c and its filter c are one unit: the kept ones are the same list, and the
          // weight [channels, 1, kh, kw] loses rows only.
          const std::vector<int64_t> kept_rows = own == own_keep.end() ? keep : own->second;
          FT_CHECK(kept_rows == keep, "layer {}: a depthwise convolution keeps other input than output channels",
                   l.name);
          Conv2dAttributes& a = p.attrs<Conv2dAttributes>();
          a.in_channels = a.out_channels = a.groups = static_cast<int64_t>(keep.size());
          break;
        }
        if (keep.size() < read.size()) {
          p.attrs<ChannelAttributes>().in_channels = static_cast<int64_t>(keep.size());
          in_keep[l.name] = std::move(keep);
        }
        if (own != own_keep.end())
          p.attrs<ChannelAttributes>().out_channels = static_cast<int64_t>(own->second.size());
        break;
      }
      case ChannelMap::per_channel: {
        std::vector<int64_t> keep = kept_positions(read);
        if (keep.size() < read.size()) {
          ChannelAttributes& a = p.attrs<ChannelAttributes>();
          a.in_channels = a.out_channels = static_cast<int64_t>(keep.size());
          bn_keep[l.name] = std::move(keep);
        }
        break;
      }
      case ChannelMap::passes:
      case ChannelMap::flattens:
      case ChannelMap::ties_inputs:
      case ChannelMap::concatenates:
        break;  // no channel count of their own: their shapes follow their inputs'
      case ChannelMap::corrects:
        FT_THROW(
            "layer {} ({}): the model is hardened; prune the plain model first, then harden the pruned one",
            l.name, layer_type_name(l.type));
    }
  }

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
