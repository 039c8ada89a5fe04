// A model as a sequence of layers that owns them and their parameters.
//
// The graph is device-agnostic: it knows shapes, parameters and MACs. Running it is a Runner's job
// (runner.hpp), which plans activation memory once per batch size and moves data to and from its device.
#pragma once

#include <memory>
#include <vector>

#include "engine/layer.hpp"
#include "engine/model_spec.hpp"
#include "engine/parameter_store.hpp"

namespace ftcnn {

class Graph {
 public:
  // Builds the layers and declares their parameters (zero-filled); throws when the layers do not chain
  // for spec.input, or when the output width is not spec.num_classes.
  explicit Graph(ModelSpec spec);

  const ModelSpec& spec() const { return spec_; }
  int size() const { return static_cast<int>(layers_.size()); }
  Layer& layer(int i) { return *layers_.at(static_cast<size_t>(i)); }
  const Layer& layer(int i) const { return *layers_.at(static_cast<size_t>(i)); }
  ParameterStore& parameters() { return parameters_; }
  const ParameterStore& parameters() const { return parameters_; }

  Shape input_shape(int64_t batch) const;
  // Output shape of every layer, in order, for a batch.
  std::vector<Shape> output_shapes(int64_t batch) const;
  int64_t macs_per_item() const;

  // Layers hold one plan each, so runners sharing a graph (a CPU and a CUDA one, or a new one after an old
  // one) must re-prepare whenever another prepared in between. Each runner takes an id from the graph and
  // asks prepared_for() before running.
  int64_t new_runner_id() { return ++last_runner_id_; }
  // Prepares every layer for `batch` on the context's device for runner `runner_id`; returns the output
  // shapes (of every layer, fused or not).
  // `fuse` (CUDA only) is the fusion pass: a layer that accepts an epilogue (edac, tmr_vote) absorbs the
  // BatchNorm2d and/or ReLU directly after it (Layer::join_epilogue decides), and its kernel applies them;
  // the absorbed layers are still prepared, but run() skips them. Without `fuse` nothing is absorbed.
  std::vector<Shape> prepare(const ExecContext& ctx, int64_t batch, int64_t runner_id = 0, bool fuse = false);
  // The fusion pass alone (device-independent, nothing prepared): per layer, how many of the layers after it
  // it would absorb, -1 for a layer absorbed by an earlier one; the epilogue of each layer in `epilogues`.
  std::vector<int> fusion_plan(int64_t batch, std::vector<FusedEpilogue>* epilogues = nullptr) const;
  // After prepare: fusion_plan() when prepared with `fuse`, else all 0.
  int absorbed(int i) const { return absorbed_.at(static_cast<size_t>(i)); }
  bool prepared_for(int64_t runner_id, int64_t batch) const {
    return prepared_runner_ == runner_id && prepared_batch_ == batch;
  }
  // Runs the prepared graph (with the fusion of the last prepare) on device pointers. `buffers` are two
  // activation buffers of at least max_activation(shapes) floats each; `input` is read only; the result lands
  // in `output`.
  void run(const ExecContext& ctx, const ParameterView& params, const std::vector<Shape>& shapes,
           const float* input, float* const buffers[2], float* output);

 private:
  ModelSpec spec_;
  std::vector<std::unique_ptr<Layer>> layers_;
  ParameterStore parameters_;
  std::vector<int> absorbed_;  // per layer, of the last prepare: see absorbed()
  int64_t last_runner_id_ = 0;
  int64_t prepared_runner_ = -1;
  int64_t prepared_batch_ = -1;
};

// Largest element count among the shapes.
int64_t max_activation(const std::vector<Shape>& shapes);

}  // namespace ftcnn
