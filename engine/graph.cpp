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

std::vector<Shape> Graph::prepare(const ExecContext& ctx, int64_t batch, int64_t runner_id) {
  std::vector<Shape> shapes;
  Shape current = input_shape(batch);
  for (auto& layer : layers_) {
    layer->prepare(ctx, current);
    current = layer->output_shape(current);
    shapes.push_back(current);
  }
  prepared_runner_ = runner_id;
  prepared_batch_ = batch;
  return shapes;
}

void Graph::run(const ExecContext& ctx, const ParameterView& params, const std::vector<Shape>& shapes,
                const float* input, float* const buffers[2], float* output) {
  FT_CHECK(shapes.size() == layers_.size(), "graph run with {} shapes for {} layers", shapes.size(),
           layers_.size());
  // Ping-pong between the two buffers; element-wise layers write over their input once it is ours.
  const float* current = input;
  int owned = -1;  // which buffer holds `current`, -1 while it is the caller's input
  Shape current_shape = input_shape(shapes.front()[0]);
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& layer = *layers_[i];
    const bool last = i + 1 == layers_.size();
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
    layer.forward(ctx, params, current_shape, current, out);
    current = out;
    owned = out_owner;
    current_shape = shapes[i];
  }
}

int64_t max_activation(const std::vector<Shape>& shapes) {
  int64_t most = 0;
  for (const Shape& s : shapes) most = std::max(most, s.numel());
  return most;
}

}  // namespace ftcnn
