// The units of structured pruning in a DAG: the sets of output channels of prunable layers that can only go
// together (docs/pruning.md, "Residual and branching models").
//
// Every tensor carries its channels (dimension 1: channels, or features after a flatten) from the layer
// that made them. Each op says through its ChannelMap what it does with them: conv2d and linear make new
// ones (owns), BatchNorm2d and the element-wise ops and pooling pass them through, a flatten spreads channel
// c over its H x W features, a concat lays its inputs' channels one after another, and an add *ties* its
// inputs: position k of every input becomes one channel, so the last conv of a residual block and the
// layer its shortcut comes from must keep or lose channel k together. A unit is one such tied set; in a
// chain every channel is a unit of its own.
//
// A depthwise convolution (groups = in = out channels) ties its output channel c to its input channel c
// (channel c is input c filtered alone): removing a channel of the layer that makes its input removes the
// depthwise filter c too. A grouped convolution that is not depthwise pins what it reads and makes.
//
// A unit is prunable when all its channels belong to prunable layers (prunable_layers: conv2d and linear
// but the classifier's output layer). Channels tied to a channel of the model input or of the output layer,
// the channels of a tensor that a linear layer reads without a flatten before it, and the input and output
// channels of a grouped, not depthwise, convolution are not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/graph.hpp"
#include "engine/layers/conv2d.hpp"

namespace ftcnn {

// One channel of a prunable layer: the layer's position in prunable_layers, and the channel.
struct UnitMember {
  size_t layer = 0;
  int64_t channel = 0;
};

struct PruningUnits {
  std::vector<const LayerSpec*> layers;  // prunable_layers(spec), in graph order
  // The prunable units, each listing its channels in (layer, channel) order; the units are ordered by their
  // first channel. In a chain: one unit per channel, in layer order, then channel order.
  std::vector<std::vector<UnitMember>> units;
  // Per prunable layer, per channel: its unit, or -1 when the channel cannot be removed.
  std::vector<std::vector<int>> unit_of;
  // Per graph node, per position of dimension 1 of its output: the unit carried there, or -1 for a channel
  // that is never removed.
  std::vector<std::vector<int>> carried;
  // Per graph node, per input, per position: as `carried` for the tensor the node reads there (the model
  // input carries only -1).
  std::vector<std::vector<std::vector<int>>> read;
  // Per prunable layer, the names of the other prunable layers that share a unit with it (sorted): what
  // an add ties it to.
  std::vector<std::vector<std::string>> tied_with;
};

// A depthwise convolution: groups = in = out channels, so each channel is convolved alone.
bool is_depthwise(const Conv2dAttributes& conv);

// Throws naming the layer when the graph is hardened or has no prunable layer (as prunable_layers).
PruningUnits pruning_units(const Graph& graph);

}  // namespace ftcnn
