#include "engine/pruning_units.hpp"

#include <map>
#include <numeric>
#include <set>

#include "engine/error.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/conv2d.hpp"
#include "engine/pruning.hpp"

namespace ftcnn {
namespace {

// Union-find over channels; the root of a set is its lowest member, so the result does not depend on the
// order of the unions.
class DisjointSets {
 public:
  int add() {
    parent_.push_back(static_cast<int>(parent_.size()));
    return parent_.back();
  }
  int find(int x) {
    while (parent_[static_cast<size_t>(x)] != x) {
      int& p = parent_[static_cast<size_t>(x)];
      p = parent_[static_cast<size_t>(p)];  // path halving
      x = p;
    }
    return x;
  }
  void unite(int a, int b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (b < a) std::swap(a, b);
    parent_[static_cast<size_t>(b)] = a;
  }
  size_t size() const { return parent_.size(); }

 private:
  std::vector<int> parent_;
};

// Positions along dimension 1 of a tensor of `shape` (batch first).
int64_t positions(const Shape& shape) {
  return shape.rank() > 1 ? shape[1] : 1;
}

}  // namespace

bool is_depthwise(const Conv2dAttributes& conv) {
  return conv.groups > 1 && conv.groups == conv.in_channels && conv.groups == conv.out_channels;
}

PruningUnits pruning_units(const Graph& graph) {
  PruningUnits result;
  result.layers = prunable_layers(graph.spec());
  std::map<std::string, size_t> slot_of;
  for (size_t k = 0; k < result.layers.size(); ++k) slot_of[result.layers[k]->name] = k;

  // Every channel a tensor was made with is an element: the model input's, then each owning node's. An
  // element of no prunable layer, or one read where channels cannot be told apart, is pinned.
  DisjointSets sets;
  std::vector<int64_t> element_slot;  // prunable layer of the element, -1: none
  std::vector<int64_t> element_channel;
  std::vector<bool> pinned;
  auto make = [&](int64_t count, int64_t slot) {
    std::vector<int> made(static_cast<size_t>(count));
    for (int64_t c = 0; c < count; ++c) {
      made[static_cast<size_t>(c)] = sets.add();
      element_slot.push_back(slot);
      element_channel.push_back(c);
      pinned.push_back(slot < 0);
    }
    return made;
  };

  const std::vector<Shape> shapes = graph.output_shapes(1);
  const std::vector<int> model_input = make(positions(graph.input_shape(1)), -1);
  std::vector<std::vector<int>> at(static_cast<size_t>(graph.size()));  // per node output: its elements
  std::vector<std::vector<std::vector<int>>> read_elements(static_cast<size_t>(graph.size()));
  for (int i = 0; i < graph.size(); ++i) {
    const Layer& layer = graph.layer(i);
    const LayerSpec& s = layer.spec();
    const std::vector<Shape> input_shapes = graph.node_inputs(i, shapes);
    std::vector<std::vector<int>>& ins = read_elements[static_cast<size_t>(i)];
    for (int p : graph.inputs(i)) ins.push_back(p < 0 ? model_input : at[static_cast<size_t>(p)]);
    std::vector<int>& out = at[static_cast<size_t>(i)];
    switch (layer.channel_map()) {
      case ChannelMap::owns: {
        // A linear layer on an [N, C, H, W] input (no flatten before it) reads channels as C x H x W
        // features: its input's channels cannot be removed.
        if (input_shapes.front().rank() > 2 && layer.reverse_rule() == ReverseRule::weighted_linear) {
          for (int e : ins.front()) pinned[static_cast<size_t>(e)] = true;
        }
        const auto slot = slot_of.find(s.name);
        out = make(positions(shapes[static_cast<size_t>(i)]),
                   slot == slot_of.end() ? -1 : static_cast<int64_t>(slot->second));
        const Conv2dAttributes* conv = s.find_attrs<Conv2dAttributes>();
        if (conv != nullptr && conv->groups > 1) {
          if (is_depthwise(*conv)) {
            // Output channel c is input channel c filtered alone: the two go together.
            for (size_t c = 0; c < out.size(); ++c) sets.unite(ins.front()[c], out[c]);
          } else {
            // Removing a channel would unbalance the groups: what it reads and makes stays.
            for (int e : ins.front()) pinned[static_cast<size_t>(e)] = true;
            for (int e : out) pinned[static_cast<size_t>(e)] = true;
          }
        }
        break;
      }
      case ChannelMap::per_channel:
      case ChannelMap::passes:
        out = ins.front();
        break;
      case ChannelMap::flattens: {
        const Shape& in = input_shapes.front();
        if (in.rank() <= 2) {
          out = ins.front();
          break;
        }
        // Channel c becomes the H x W consecutive features [c H W, (c + 1) H W).
        const int64_t spatial = in.per_item() / in[1];
        for (int e : ins.front()) out.insert(out.end(), static_cast<size_t>(spatial), e);
        break;
      }
      case ChannelMap::ties_inputs:
        for (size_t k = 1; k < ins.size(); ++k) {
          FT_CHECK(ins[k].size() == ins.front().size(), "layer {}: inputs with {} and {} channels", s.name,
                   ins.front().size(), ins[k].size());
          for (size_t c = 0; c < ins[k].size(); ++c) sets.unite(ins.front()[c], ins[k][c]);
        }
        out = ins.front();
        break;
      case ChannelMap::concatenates:
        for (const std::vector<int>& in : ins) out.insert(out.end(), in.begin(), in.end());
        break;
      case ChannelMap::corrects:
        FT_THROW(
            "layer {} ({}): the model is hardened; prune the plain model first, then harden the pruned one",
            s.name, layer_type_name(s.type));
    }
  }

  // A set with a pinned element stays whole. Elements were made in graph order, so the units come out
  // ordered by their first (layer, channel).
  std::vector<bool> pinned_set(sets.size(), false);
  for (size_t e = 0; e < sets.size(); ++e) {
    if (pinned[e]) pinned_set[static_cast<size_t>(sets.find(static_cast<int>(e)))] = true;
  }
  std::vector<int> unit_of_set(sets.size(), -1);
  result.unit_of.resize(result.layers.size());
  for (size_t k = 0; k < result.layers.size(); ++k) {
    result.unit_of[k].assign(static_cast<size_t>(out_channels_of(*result.layers[k])), -1);
  }
  for (size_t e = 0; e < sets.size(); ++e) {
    const int root = sets.find(static_cast<int>(e));
    if (element_slot[e] < 0 || pinned_set[static_cast<size_t>(root)]) continue;
    int& unit = unit_of_set[static_cast<size_t>(root)];
    if (unit < 0) {
      unit = static_cast<int>(result.units.size());
      result.units.emplace_back();
    }
    const UnitMember member{static_cast<size_t>(element_slot[e]), element_channel[e]};
    result.units[static_cast<size_t>(unit)].push_back(member);
    result.unit_of[member.layer][static_cast<size_t>(member.channel)] = unit;
  }

  auto units_of = [&](const std::vector<int>& elements) {
    std::vector<int> units(elements.size());
    for (size_t p = 0; p < elements.size(); ++p)
      units[p] = unit_of_set[static_cast<size_t>(sets.find(elements[p]))];
    return units;
  };
  for (int i = 0; i < graph.size(); ++i) {
    result.carried.push_back(units_of(at[static_cast<size_t>(i)]));
    std::vector<std::vector<int>> read;
    for (const std::vector<int>& in : read_elements[static_cast<size_t>(i)]) read.push_back(units_of(in));
    result.read.push_back(std::move(read));
  }

  std::vector<std::set<std::string>> tied(result.layers.size());
  for (const std::vector<UnitMember>& unit : result.units) {
    for (const UnitMember& a : unit) {
      for (const UnitMember& b : unit) {
        if (a.layer != b.layer) tied[a.layer].insert(result.layers[b.layer]->name);
      }
    }
  }
  for (const std::set<std::string>& names : tied) result.tied_with.emplace_back(names.begin(), names.end());
  return result;
}

}  // namespace ftcnn
