#include "engine/graph.hpp"

#include <algorithm>

#include "engine/error.hpp"
#include "engine/layer_registry.hpp"

namespace ftcnn {

Graph::Graph(ModelSpec spec) : spec_(std::move(spec)) {
  FT_CHECK(!spec_.layers.empty(), "architecture '{}' has no layers", spec_.arch);
  for (const LayerSpec& layer_spec : spec_.layers) {
    layers_.push_back(make_layer(layer_spec));
    layers_.back()->declare_parameters(parameters_);
  }
  // A correction layer tells the protected layer before it where its copies are.
  for (size_t i = 1; i < layers_.size(); ++i) {
    const LayerSpec& s = layers_[i]->spec();
    if (s.type == LayerType::edac || s.type == LayerType::tmr_vote)
      layers_[i - 1]->set_copy_layout(s.out_channels, s.copied, s.type == LayerType::edac ? 1 : 2);
  }
  const std::vector<Shape> shapes = output_shapes(1);
  if (spec_.num_classes > 0) {
    FT_CHECK(shapes.back().per_item() == spec_.num_classes,
             "architecture '{}' ends in {} values per image but declares {} classes", spec_.arch,
             shapes.back().per_item(), spec_.num_classes);
  }
}

Shape Graph::input_shape(int64_t batch) const {
  std::vector<int64_t> dims{batch};
  for (int64_t d : spec_.input.dims()) dims.push_back(d);
  return Shape(std::move(dims));
}

std::vector<Shape> Graph::output_shapes(int64_t batch) const {
  std::vector<Shape> shapes;
  Shape current = input_shape(batch);
  for (const auto& layer : layers_) {
    current = layer->output_shape(current);
    shapes.push_back(current);
  }
  return shapes;
}

int64_t Graph::macs_per_item() const {
  int64_t total = 0;
  Shape current = input_shape(1);
  for (const auto& layer : layers_) {
    total += layer->macs_per_item(current);
    current = layer->output_shape(current);
  }
  return total;
}

std::vector<int> Graph::fusion_plan(int64_t batch, std::vector<FusedEpilogue>* epilogues) const {
  // Layer i takes an epilogue, then each following layer joins it while it can; layer j's input shape is
  // shapes[j - 1]. An absorbed layer's output is read by nothing but the next layer (the graph is a chain),
  // so skipping it loses nothing.
  const std::vector<Shape> shapes = output_shapes(batch);
  const size_t count = layers_.size();
  std::vector<FusedEpilogue> joined(count);
  std::vector<int> plan(count, 0);
  for (size_t i = 0; i < count; ++i) {
    if (!layers_[i]->accepts_epilogue()) continue;
    size_t j = i + 1;
    while (j < count && layers_[j]->join_epilogue(joined[i], shapes[j - 1])) ++j;
    plan[i] = static_cast<int>(j - i - 1);
    for (size_t k = i + 1; k < j; ++k) plan[k] = -1;
    i = j - 1;
  }
  if (epilogues != nullptr) *epilogues = std::move(joined);
  return plan;
}

GraphPlan Graph::prepare(const ExecContext& ctx, int64_t batch, bool fuse) const {
  FT_CHECK(!fuse || ctx.device == Device::cuda, "layer fusion is for CUDA only, not {}",
           device_name(ctx.device));
  GraphPlan plan;
  plan.batch = batch;
  plan.device = ctx.device;
  plan.shapes = output_shapes(batch);
  const size_t count = layers_.size();
  std::vector<FusedEpilogue> epilogues(count);
  plan.absorbed = fuse ? fusion_plan(batch, &epilogues) : std::vector<int>(count, 0);
  Shape current = input_shape(batch);
  for (size_t i = 0; i < count; ++i) {
    plan.layers.push_back(layers_[i]->prepare(ctx, current, epilogues[i]));
    current = plan.shapes[i];
  }
  return plan;
}

void Graph::run(const ExecContext& ctx, const GraphPlan& plan, const ParameterView& params,
                const float* input, float* const buffers[2], float* output, const LayerHooks* hooks) {
  FT_CHECK(plan.layers.size() == layers_.size() && plan.absorbed.size() == layers_.size(),
           "graph run with a plan of {} layers for {} layers", plan.layers.size(), layers_.size());
  // Ping-pong between the two buffers; element-wise layers write over their input once it is ours.
  const float* current = input;
  int owned = -1;  // which buffer holds `current`, -1 while it is the caller's input
  Shape current_shape = input_shape(plan.batch);
  size_t end = 0;
  for (size_t i = 0; i < layers_.size(); i = end + 1) {
    Layer& layer = *layers_[i];
    // A fused layer runs the ones it absorbed too: its result is the output of layer `end`.
    end = i + static_cast<size_t>(plan.absorbed[i]);
    const bool last = end + 1 == layers_.size();
    float* out;
    int out_owner;
    if (last) {
      out = output;
      out_owner = -1;
    } else if (layer.in_place() && owned >= 0) {
      out = buffers[owned];
      out_owner = owned;
    } else {
      out_owner = owned == 0 ? 1 : 0;
      out = buffers[out_owner];
    }
    if (hooks != nullptr && hooks->before) hooks->before(static_cast<int>(i), current_shape, current);
    layer.forward(ctx, *plan.layers[i], params, current, out);
    current = out;
    owned = out_owner;
    current_shape = plan.shapes[end];
    if (ctx.check_after_layer) ctx.check_after_layer(layer);
    if (hooks != nullptr && hooks->after) hooks->after(static_cast<int>(end), current_shape, out);
  }
}

int64_t GraphPlan::max_activation() const {
  return ftcnn::max_activation(shapes);
}

const GraphPlan& PlanCache::get(const ExecContext& ctx, int64_t batch) {
  auto it = plans_.find(batch);
  if (it == plans_.end()) {
    it = plans_.emplace(batch, graph_.prepare(ctx, batch, fuse_)).first;
    max_activation_ = std::max(max_activation_, it->second.max_activation());
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

int64_t max_activation(const std::vector<Shape>& shapes) {
  int64_t most = 0;
  for (const Shape& s : shapes) most = std::max(most, s.numel());
  return most;
}

}  // namespace ftcnn
