// Structured pruning (paper Sec. IV; docs/pruning.md): whole output channels of conv2d layers and whole
// output neurons of linear layers are removed, the least important first, with everything that depends on
// them.
//
// Prunable layers are the conv2d and linear layers of a plain (unhardened) model except the last one, the
// classifier's output layer, whose outputs are the classes. Removing channel c of a layer removes
//   - row c of its weight and bias,
//   - entry c of every BatchNorm2d that reads it (weight, bias, running_mean, running_var),
//   - input channel c of every conv2d that reads it (weight[:, c, :, :]),
//   - after a flatten, the H x W consecutive input features [c H W, (c + 1) H W) of the linear layer that
//     reads them (H x W is the spatial size of the flatten's input in the graph's planned shapes),
//   - input feature c of every linear layer that reads it;
// element-wise layers and pooling keep channels apart and only change their channel count, a concat moves
// them to their place in its output. An add ties its inputs' channels together: the channels that meet in
// an add are one *unit* (engine/pruning_units.hpp) and are removed together or not at all.
//
// Selection: per layer, the channel scores (Eq. (1), l1 or random, from engine/vulnerability/) ranked by
// rank_channels (descending, NaN first, ties to the lower index); the pass removes the tail of that ranking,
// i.e. the lowest score first, and among equal scores the higher index first. `layer` scope removes
// floor(ratio x C) channels of each layer, `global` scope ranks all conv2d channels of the model together
// (and apart from them all linear neurons but the classifier's) and removes floor(ratio x total) of them,
// after dividing each layer's scores by the layer's mean or L2 norm (ScoreNormalization: raw scores are on no
// common scale between layers, docs/pruning.md). Both keep at least one channel per layer. Where an add ties
// layers, a unit counts once and scores the sum of its channels' scores (for Eq. (1) and l1 the score of the
// union of their weights); in layer scope the tied layers are ranked together, floor(ratio x units) of their
// units go.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/graph.hpp"

namespace ftcnn {

enum class PruneScope { layer, global };

// How global scope puts the layers' scores on one scale before ranking them together: `none` compares raw
// scores, `mean` divides every score by its layer's mean score, `l2` by the L2 norm of its layer's scores
// (Molchanov et al., ICLR 2017). A layer whose divisor is 0 or not finite keeps its raw scores. Layer
// scope ranks within a layer, where a positive divisor changes nothing, so it takes only `none`.
enum class ScoreNormalization { none, mean, l2 };

const char* prune_scope_name(PruneScope scope);  // "layer", "global"
// Throws naming the text when it is not a scope.
PruneScope prune_scope_from_name(const std::string& name);
const char* score_normalization_name(ScoreNormalization normalization);  // "none", "mean", "l2"
// Throws naming the text when it is not a normalization.
ScoreNormalization score_normalization_from_name(const std::string& name);

// Per prunable layer, one score per output channel; a higher score is more important (kept longer).
using ChannelScores = std::map<std::string, std::vector<double>>;

// The prunable layers (conv2d and linear, the classifier's output layer excluded), in graph order. Throws
// when the model is hardened (edac / tmr_vote layers: prune first, harden after) or has no prunable layer.
std::vector<const LayerSpec*> prunable_layers(const ModelSpec& spec);

// Channels a ratio removes from `channels`: floor(ratio x channels), where a product within 1e-9 of an
// integer counts as that integer (0.3 x 10 is 3, not 2), at most channels - 1 (one channel always stays).
// Throws when the ratio is outside [0, 1); `what` names it in the message ("the conv2d ratio").
int64_t removals_for_ratio(double ratio, int64_t channels, const std::string& what = "ratio");

struct LayerPruning {
  LayerPruning() = default;
  LayerPruning(std::string layer_name, LayerType layer_type, int64_t channel_count,
               std::vector<int64_t> removed_channels, std::vector<std::string> tied = {})
      : layer(std::move(layer_name)),
        type(layer_type),
        channels(channel_count),
        removed(std::move(removed_channels)),
        tied_with(std::move(tied)) {}

  std::string layer;
  LayerType type = LayerType::conv2d;
  int64_t channels = 0;          // before pruning
  std::vector<int64_t> removed;  // ascending
  // plan_pruning: the other prunable layers an add ties to this one (they remove the same units), sorted.
  std::vector<std::string> tied_with;
  // The channels that stay, ascending.
  std::vector<int64_t> kept() const;
};

// The channels to remove from every prunable layer (an entry per prunable layer, in graph order, possibly
// with nothing removed): conv2d layers at `conv_ratio`, linear layers at `fc_ratio` (a unit tied across both
// kinds counts as its first layer's kind). Every prunable layer needs its scores, one per channel; throws
// naming the layer otherwise. `normalization` other than none needs global scope (throws otherwise).
std::vector<LayerPruning> plan_pruning(const Graph& graph, const ChannelScores& scores, double conv_ratio,
                                       double fc_ratio, PruneScope scope,
                                       ScoreNormalization normalization = ScoreNormalization::none);

// The pruned graph with its parameters filled from `source`: the kept rows / columns, in their original
// order, bit for bit. Layers the plan does not name keep all channels. Throws naming the layer when the plan
// does not fit the model, removes a channel that cannot go, or splits a unit an add ties together.
std::unique_ptr<Graph> build_pruned_graph(const Graph& source, const std::vector<LayerPruning>& plan);

}  // namespace ftcnn
