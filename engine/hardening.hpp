// The paper's model hardening (Sec. II-B, III-C; docs/hardening.md): selected output channels of every
// conv2d and linear layer get copies computed by the layer itself, and a correction layer right after it
// (before its BatchNorm) turns [N, C + copies, ...] back into [N, C, ...].
//
//   mode edac      one copy of the top ceil(r C) channels + an edac layer with detection intervals
//                  (r = 0: intervals only)
//   mode dup-only  one copy of the top ceil(r C) channels + an edac layer without intervals (Sec. III-C)
//   mode tmr       two copies of the top ceil(r C) channels + a tmr_vote layer (r = 1: full TMR)
//
// "Top" follows a per-layer ranking of channels, most vulnerable first: read from a file (the vulnerability
// analysis, datasets "<layer>/ranking"), or the L1 norm of the channel's weights, or a seeded random order.
// The classifier's output layer (the last conv2d / linear layer) always has all of its channels copied.
// The hardened conv2d / linear layer keeps its name; its weight and bias tensors grow by the copy rows, which
// duplicate the original rows (real memory, hit by faults independently). The correction layer is named
// "<layer>.edac" or "<layer>.vote".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/graph.hpp"
#include "engine/interval_profile.hpp"

namespace ftcnn {

enum class HardenMode { edac, dup_only, tmr };

const char* harden_mode_name(HardenMode mode);  // "edac", "dup-only", "tmr"
// Throws naming the text when it is not a mode.
HardenMode harden_mode_from_name(const std::string& name);

// Per protected layer, every channel index once, most vulnerable first.
using ChannelRankings = std::map<std::string, std::vector<int64_t>>;

// The conv2d and linear layers of a plain model, in order (the last one is the classifier's output layer):
// the layers hardening protects, grouped convolutions included. Throws when the model holds hardening
// layers already, or has no such layer.
std::vector<const LayerSpec*> weighted_layers_of(const ModelSpec& spec);

// Descending L1 norm of each channel's weights (bias excluded); ties keep the lower index first.
ChannelRankings rank_channels_l1(const Graph& graph);
// A seeded random order: each layer's channels ranked by random_channel_score (counter-based Philox, the
// same on every platform), i.e. the order `ftcnn vuln --method random --seed` gives.
ChannelRankings rank_channels_random(const Graph& graph, uint64_t seed);
// "" when `order` holds every index of [0, channels) once, else what is wrong.
std::string permutation_problem(const std::vector<int64_t>& order, int64_t channels);

// Channels to copy for a ratio: ceil(ratio x channels), where a product within 1e-9 of an integer counts as
// that integer (0.15 x 20 is 3, not 4). Throws when ratio is outside [0, 1].
int64_t copies_for_ratio(double ratio, int64_t channels);

struct LayerHardening {
  std::string layer;
  int64_t channels = 0;
  std::vector<int64_t> copied;  // ascending
};

// The channels to copy in every protected layer: the first copies_for_ratio() of its ranking, all of them
// in the output layer.
std::vector<LayerHardening> plan_hardening(const ModelSpec& spec, const ChannelRankings& rankings,
                                           double ratio);

// The hardened graph with its parameters filled: copied rows from `plain`, interval bounds from `intervals`
// (mode edac only; each protected layer must be there with matching channel counts, else it throws naming
// the layer).
std::unique_ptr<Graph> build_hardened_graph(const Graph& plain, const std::vector<LayerHardening>& plan,
                                            HardenMode mode, const IntervalProfile* intervals);

}  // namespace ftcnn
