#include "engine/graph.hpp"

#include <algorithm>

#include "engine/error.hpp"
#include "engine/layer_registry.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/memory_limit.hpp"

namespace ftcnn {

Graph::Graph(ModelSpec spec) : spec_(std::move(spec)) {
  FT_CHECK(!spec_.layers.empty(), "architecture '{}' has no layers", spec_.arch);
  inputs_ = resolve_inputs(spec_);
  consumers_.assign(inputs_.size(), 0);
  for (size_t i = 0; i < inputs_.size(); ++i) {
    for (int p : inputs_[i]) {
      if (p >= 0) ++consumers_[static_cast<size_t>(p)];
    }
    chain_ = chain_ && inputs_[i] == std::vector<int>{static_cast<int>(i) - 1};
  }
  for (const LayerSpec& layer_spec : spec_.layers) {
    layers_.push_back(make_layer(layer_spec));
    layers_.back()->declare_parameters(parameters_);
  }
  // A correction layer tells the protected layer it reads where its copies are.
  for (size_t i = 0; i < layers_.size(); ++i) {
    const LayerSpec& s = layers_[i]->spec();
    const CopyAttributes* copies = s.find_attrs<CopyAttributes>();
    if (copies == nullptr) continue;
    const int protected_node = inputs_[i].front();
    if (protected_node < 0) continue;  // a correction layer alone (tests): nothing to tell
    // Its copies are the protected layer's extra channels: nothing else may read them.
    FT_CHECK(consumers_[static_cast<size_t>(protected_node)] == 1,
             "layer {} ({}) must be the only reader of {}, which {} nodes read", s.name,
             layer_type_name(s.type), layers_[static_cast<size_t>(protected_node)]->name(),
             consumers_[static_cast<size_t>(protected_node)]);
    layers_[static_cast<size_t>(protected_node)]->set_copy_layout(copies->out_channels, copies->copied,
                                                                  copies->copies_each());
  }
  const std::vector<Shape> shapes = output_shapes(1);
  if (spec_.num_classes > 0) {
    FT_CHECK(shapes.back().per_item() == spec_.num_classes,
             "architecture '{}' ends in {} values per image but declares {} classes", spec_.arch,
             shapes.back().per_item(), spec_.num_classes);
  }
}

std::vector<Shape> Graph::node_inputs(int node, const std::vector<Shape>& shapes) const {
  std::vector<Shape> in;
  for (int p : inputs(node))
    in.push_back(p < 0 ? input_shape(shapes.front()[0]) : shapes[static_cast<size_t>(p)]);
  return in;
}

std::vector<int> Graph::cut(int first) const {
  FT_CHECK(first >= 0 && first <= size(), "cut at node {} of a graph of {} nodes", first, size());
  std::vector<bool> needed(static_cast<size_t>(first), false);
  for (size_t i = static_cast<size_t>(first); i < inputs_.size(); ++i) {
    for (int p : inputs_[i]) {
      if (p >= 0 && p < first) needed[static_cast<size_t>(p)] = true;
    }
  }
  std::vector<int> nodes;
  for (int p = 0; p < first; ++p) {
    if (needed[static_cast<size_t>(p)]) nodes.push_back(p);
  }
  return nodes;
}

Shape Graph::input_shape(int64_t batch) const {
  std::vector<int64_t> dims{batch};
  for (int64_t d : spec_.input.dims()) dims.push_back(d);
  return Shape(std::move(dims));
}

std::vector<Shape> Graph::output_shapes(int64_t batch) const {
  const Shape input = input_shape(batch);
  std::vector<Shape> shapes;
  for (size_t i = 0; i < layers_.size(); ++i) {
    std::vector<Shape> in;
    for (int p : inputs_[i]) in.push_back(p < 0 ? input : shapes[static_cast<size_t>(p)]);
    shapes.push_back(layers_[i]->node_output_shape(in));
  }
  return shapes;
}

int64_t Graph::macs_per_item() const {
  const Shape input = input_shape(1);
  const std::vector<Shape> shapes = output_shapes(1);
  int64_t total = 0;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const int p = inputs_[i].front();
    total += layers_[i]->macs_per_item(p < 0 ? input : shapes[static_cast<size_t>(p)]);
  }
  return total;
}

std::vector<int> Graph::fusion_plan(int64_t batch, Device device,
                                    std::vector<FusedEpilogue>* epilogues) const {
  // Layer i takes an epilogue, then each following layer joins it while it can; layer j's input shape is
  // shapes[j - 1]. Only a layer whose one input is the layer before it, read by nothing else, may join:
  // the absorbed outputs are read by nothing but the next layer, so skipping them loses nothing.
  const std::vector<Shape> shapes = output_shapes(batch);
  const size_t count = layers_.size();
  std::vector<FusedEpilogue> joined(count);
  std::vector<int> plan(count, 0);
  for (size_t i = 0; i < count; ++i) {
    if (!layers_[i]->accepts_epilogue(device)) continue;
    size_t j = i + 1;
    auto private_successor = [&](size_t k) {
      return inputs_[k] == std::vector<int>{static_cast<int>(k) - 1} && consumers_[k - 1] == 1;
    };
    while (j < count && private_successor(j) && layers_[j]->join_epilogue(joined[i], shapes[j - 1])) ++j;
    plan[i] = static_cast<int>(j - i - 1);
    for (size_t k = i + 1; k < j; ++k) plan[k] = -1;
    i = j - 1;
  }
  if (epilogues != nullptr) *epilogues = std::move(joined);
  return plan;
}

GraphPlan Graph::prepare(const ExecContext& ctx, int64_t batch, bool fuse) const {
  GraphPlan plan;
  plan.batch = batch;
  plan.device = ctx.device;
  plan.shapes = output_shapes(batch);
  const size_t count = layers_.size();
  std::vector<FusedEpilogue> epilogues(count);
  plan.absorbed = fuse ? fusion_plan(batch, ctx.device, &epilogues) : std::vector<int>(count, 0);
  for (size_t i = 0; i < count; ++i) {
    plan.layers.push_back(
        layers_[i]->prepare(ctx, node_inputs(static_cast<int>(i), plan.shapes), epilogues[i]));
  }
  plan.memory = activation_layout(batch, plan.absorbed);
  return plan;
}

ActivationLayout Graph::activation_layout(int64_t batch, const std::vector<int>& absorbed) const {
  // Steps: a node and the nodes it absorbs; a step reads its first node's inputs and writes its last node's
  // output (a "value"). Every value lives in a buffer from the step that writes it to the last that reads it
  // (inclusive: a step's inputs and output coexist); an in-place node that is the last reader of its input
  // extends that input's buffer instead of taking one.
  FT_CHECK(absorbed.size() == layers_.size(), "activation_layout: {} fusion entries for {} nodes",
           absorbed.size(), layers_.size());
  const std::vector<Shape> shapes = output_shapes(batch);
  const int count = size();
  const int last = count - 1;
  std::vector<int> step_of(static_cast<size_t>(count), -1);  // step writing node k's output
  std::vector<int> last_use(static_cast<size_t>(count), -1);
  int steps = 0;
  for (int i = 0; i < count; i = i + absorbed[static_cast<size_t>(i)] + 1, ++steps) {
    step_of[static_cast<size_t>(i + absorbed[static_cast<size_t>(i)])] = steps;
    for (int p : inputs_[static_cast<size_t>(i)]) {
      if (p >= 0) last_use[static_cast<size_t>(p)] = steps;
    }
  }
  struct Buffer {
    int64_t size = 0;
    int first = 0, last = 0;
    int64_t offset = 0;
  };
  std::vector<Buffer> buffers;
  std::vector<int> buffer_of(static_cast<size_t>(count), -1);
  for (int i = 0; i < count; i = i + absorbed[static_cast<size_t>(i)] + 1) {
    const int value = i + absorbed[static_cast<size_t>(i)];
    if (value == last) continue;  // the caller's output
    const int step = step_of[static_cast<size_t>(value)];
    const int end = std::max(step, last_use[static_cast<size_t>(value)]);
    const int p = inputs_[static_cast<size_t>(i)].front();
    // A step is in place when all its nodes are (BatchNorm2d with the ReLU it absorbed on the CPU).
    bool in_place = true;
    for (int k = i; k <= value; ++k) in_place = in_place && layers_[static_cast<size_t>(k)]->in_place();
    if (in_place && p >= 0 && last_use[static_cast<size_t>(p)] == step &&
        buffer_of[static_cast<size_t>(p)] >= 0) {
      Buffer& shared = buffers[static_cast<size_t>(buffer_of[static_cast<size_t>(p)])];
      shared.last = std::max(shared.last, end);
      buffer_of[static_cast<size_t>(value)] = buffer_of[static_cast<size_t>(p)];
      continue;
    }
    buffer_of[static_cast<size_t>(value)] = static_cast<int>(buffers.size());
    buffers.push_back({shapes[static_cast<size_t>(value)].numel(), step, end, 0});
  }
  // Largest first, each at the lowest offset clear of the placed buffers it is live with; offsets are kept
  // 256-byte aligned for the CUDA libraries.
  constexpr int64_t kAlign = 64;
  std::vector<size_t> order(buffers.size());
  for (size_t b = 0; b < order.size(); ++b) order[b] = b;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].size > buffers[b].size; });
  ActivationLayout layout;
  std::vector<size_t> placed;
  for (size_t b : order) {
    Buffer& buffer = buffers[b];
    std::vector<std::pair<int64_t, int64_t>> taken;  // [offset, end) of the live ones
    for (size_t q : placed) {
      const Buffer& other = buffers[q];
      if (other.first <= buffer.last && buffer.first <= other.last)
        taken.emplace_back(other.offset, other.offset + other.size);
    }
    std::sort(taken.begin(), taken.end());
    int64_t offset = 0;
    for (const auto& [begin, end] : taken) {
      if (offset + buffer.size <= begin) break;
      offset = std::max(offset, (end + kAlign - 1) / kAlign * kAlign);
    }
    buffer.offset = offset;
    layout.arena = std::max(layout.arena, offset + buffer.size);
    placed.push_back(b);
  }
  for (int s = 0; s < steps; ++s) {
    int64_t live = 0;
    for (const Buffer& buffer : buffers) {
      if (buffer.first <= s && s <= buffer.last) live += buffer.size;
    }
    layout.live_peak = std::max(layout.live_peak, live);
  }
  layout.offsets.assign(static_cast<size_t>(count), ActivationLayout::kNoOffset);
  for (int k = 0; k < count; ++k) {
    if (buffer_of[static_cast<size_t>(k)] >= 0)
      layout.offsets[static_cast<size_t>(k)] =
          buffers[static_cast<size_t>(buffer_of[static_cast<size_t>(k)])].offset;
  }
  return layout;
}

void Graph::run(const ExecContext& ctx, const GraphPlan& plan, const ParameterView& params,
                const float* input, float* arena, float* output, const LayerHooks* hooks,
                const RunStart* start) {
  FT_CHECK(plan.layers.size() == layers_.size() && plan.absorbed.size() == layers_.size(),
           "graph run with a plan of {} layers for {} layers", plan.layers.size(), layers_.size());
  const size_t count = layers_.size();
  const Shape input_shape_ = input_shape(plan.batch);
  const size_t first = start == nullptr ? 0 : static_cast<size_t>(start->first);
  if (start != nullptr) {
    FT_CHECK(first < count && plan.absorbed[first] >= 0 && start->values.size() == count,
             "a run cannot start at node {} of {} (not a step of the plan, or {} values)", first, count,
             start->values.size());
  }
  // Where node p's output is read from: the arena, or, for a node before the start, the value given.
  const auto value = [&](int p) -> const float* {
    if (p < 0) return input;
    if (static_cast<size_t>(p) >= first) return arena + plan.memory.offsets[static_cast<size_t>(p)];
    const float* given = start->values[static_cast<size_t>(p)];
    FT_CHECK(given != nullptr, "a run from node {} lacks the output of node {}", first, p);
    return given;
  };
  std::vector<const float*> in;
  for (size_t i = first, end = 0; i < count; i = end + 1) {
    Layer& layer = *layers_[i];
    // A fused layer runs the ones it absorbed too: its result is the output of layer `end`.
    end = i + static_cast<size_t>(plan.absorbed[i]);
    in.clear();
    for (int p : inputs_[i]) in.push_back(value(p));
    float* out = end + 1 == count ? output : arena + plan.memory.offsets[end];
    if (hooks != nullptr && hooks->before) {
      const int p = inputs_[i].front();
      hooks->before(static_cast<int>(i), p < 0 ? input_shape_ : plan.shapes[static_cast<size_t>(p)],
                    in.front());
    }
    layer.forward(ctx, *plan.layers[i], params, in, out);  // one input or a join's several
    if (ctx.check_after_layer) ctx.check_after_layer(layer);
    if (hooks != nullptr && hooks->after) hooks->after(static_cast<int>(end), plan.shapes[end], out);
  }
}

const GraphPlan& PlanCache::get(const ExecContext& ctx, int64_t batch) {
  auto it = plans_.find(batch);
  if (it == plans_.end()) {
    // The arena plus the output a runner hands back, before any of it is allocated.
    const std::vector<int> unfused(static_cast<size_t>(graph_.size()), 0);
    const int64_t floats =
        graph_.activation_layout(batch, unfused).arena + graph_.output_shapes(batch).back().numel();
    check_fits_memory(checked_product(floats, sizeof(float), "activations"),
                      fmt::format("the activations of a batch of {}", batch));
    it = plans_.emplace(batch, graph_.prepare(ctx, batch, fuse_)).first;
    arena_floats_ = std::max(arena_floats_, it->second.arena_floats());
  }
  FT_CHECK(it->second.device == ctx.device, "a plan for {} asked for on {}", device_name(it->second.device),
           device_name(ctx.device));
  return it->second;
}

AlgorithmChoices PlanCache::algorithms() const {
  AlgorithmChoices choices;
  for (const auto& [batch, plan] : plans_) {
    for (size_t i = 0; i < plan.layers.size(); ++i) {
      const LayerPlan& layer = *plan.layers[i];
      if (layer.cuda == nullptr) continue;
      const std::string algorithm = layer.cuda->algorithm();
      if (!algorithm.empty())
        choices[algorithm_key(graph_.layer(static_cast<int>(i)).name(), layer.input)] = algorithm;
    }
  }
  return choices;
}

}  // namespace ftcnn
