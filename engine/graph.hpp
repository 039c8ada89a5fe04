// A model as a DAG of layers (nodes) in topological order that owns them and their parameters.
//
// The graph is device-agnostic: it knows shapes, parameters and MACs, and holds no plan. prepare() makes a
// GraphPlan for one batch size on one device; whoever runs the graph keeps its plans (a PlanCache: one per
// batch size, for the life of the runner), so any number of runners may share one graph. run() is the one
// loop over nodes; hooks observe (or edit) what passes between them.
//
// Activations live in one arena per runner. A node's output is live from the step that writes it to the
// last step that reads it; the plan places every output at an offset (largest first, lowest free offset
// among the outputs live at the same time), and an element-wise node that is the last reader of its input
// writes over it. The arena is then close to the peak of simultaneously live tensors, not one buffer per
// node; a chain needs at most two of its largest activation.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "engine/layer.hpp"
#include "engine/model_spec.hpp"
#include "engine/parameter_store.hpp"

namespace ftcnn {

// The graph planned for one batch size on one device: every layer's plan (on CUDA its descriptors and its
// chosen algorithm), the output shapes, and the fusion.
// Where a batch's activations live (in floats): per node, the offset of its output in the arena
// (kNoOffset for a fused node's absorbed output, which never exists, and for the last node, whose output is
// the caller's); the arena's size; the largest sum of the outputs live at one step.
struct ActivationLayout {
  static constexpr int64_t kNoOffset = -1;
  std::vector<int64_t> offsets;
  int64_t arena = 0;
  int64_t live_peak = 0;
};

struct GraphPlan {
  int64_t batch = 0;
  Device device = Device::cpu;
  std::vector<Shape> shapes;  // output of every layer, fused or not
  std::vector<int> absorbed;  // per layer: Graph::fusion_plan() when prepared with `fuse`, else 0
  std::vector<std::unique_ptr<LayerPlan>> layers;
  ActivationLayout memory;
  // Floats of the arena run() needs.
  int64_t arena_floats() const { return memory.arena; }
};

// Called by Graph::run around the layers. `before(layer, input shape, input)` sees a layer's (first) input
// before the layer runs (before an in-place layer overwrites it); `after(layer, output shape, output)` sees
// its output and may edit it. A fused step counts as its last layer for `after` and its first for
// `before`: the absorbed layers' own outputs never exist.
struct LayerHooks {
  std::function<void(int layer, const Shape& input, const float* in)> before;
  std::function<void(int layer, const Shape& output, float* out)> after;
};

// Where Graph::run starts (campaign checkpoints, engine/fault/checkpoints.hpp): at node `first`, a step start
// of the plan, with the outputs of earlier nodes that later nodes read (Graph::cut(first)) taken from
// `values[node]` (device pointers, [batch, ...]) instead of computed. The values are only read: a node that
// would work in place over one writes its output into the arena instead.
struct RunStart {
  int first = 0;
  std::vector<const float*> values;  // indexed by node; nullptr where not needed
};

class Graph {
 public:
  // Builds the layers and declares their parameters (zero-filled); throws when the layers do not chain
  // for spec.input, or when the output width is not spec.num_classes.
  explicit Graph(ModelSpec spec);

  const ModelSpec& spec() const { return spec_; }
  int size() const { return static_cast<int>(layers_.size()); }
  // The nodes a node reads, in order (-1: the model input).
  const std::vector<int>& inputs(int node) const { return inputs_.at(static_cast<size_t>(node)); }
  // The nodes before `first` whose outputs nodes from `first` on read, ascending: what a run that starts at
  // `first` needs besides the model input.
  std::vector<int> cut(int first) const;
  // How many nodes read a node's output.
  int consumers(int node) const { return consumers_.at(static_cast<size_t>(node)); }
  // True when every node reads the one before it.
  bool is_chain() const { return chain_; }
  // The input shapes of a node, given every node's output shapes for a batch.
  std::vector<Shape> node_inputs(int node, const std::vector<Shape>& shapes) const;
  Layer& layer(int i) { return *layers_.at(static_cast<size_t>(i)); }
  const Layer& layer(int i) const { return *layers_.at(static_cast<size_t>(i)); }
  ParameterStore& parameters() { return parameters_; }
  const ParameterStore& parameters() const { return parameters_; }

  Shape input_shape(int64_t batch) const;
  // Output shape of every layer, in order, for a batch.
  std::vector<Shape> output_shapes(int64_t batch) const;
  int64_t macs_per_item() const;

  // Plans every layer for `batch` on the context's device (cuDNN descriptors and algorithm choice on CUDA).
  // `fuse` is the fusion pass: a layer that accepts an epilogue on the device (edac, tmr_vote; batchnorm2d
  // on the CPU) absorbs the BatchNorm2d and/or ReLU directly after it (Layer::join_epilogue decides), and
  // its body applies them;
  // the absorbed layers are still planned, but run() skips them. Without `fuse` nothing is absorbed.
  GraphPlan prepare(const ExecContext& ctx, int64_t batch, bool fuse = false) const;
  // The fusion pass alone for `device` (nothing prepared): per layer, how many of the layers after it
  // it would absorb, -1 for a layer absorbed by an earlier one; the epilogue of each layer in `epilogues`.
  std::vector<int> fusion_plan(int64_t batch, Device device,
                               std::vector<FusedEpilogue>* epilogues = nullptr) const;
  // Where the activations of a batch live when run with this fusion (`absorbed` as GraphPlan's).
  ActivationLayout activation_layout(int64_t batch, const std::vector<int>& absorbed) const;
  // Runs a plan of this graph on device pointers. `arena` holds at least plan.arena_floats() floats;
  // `input` is read only; the result lands in `output`. With `start`, the run begins at start->first (hooks
  // are called for the nodes it runs only).
  void run(const ExecContext& ctx, const GraphPlan& plan, const ParameterView& params, const float* input,
           float* arena, float* output, const LayerHooks* hooks = nullptr, const RunStart* start = nullptr);

 private:
  ModelSpec spec_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::vector<int>> inputs_;
  std::vector<int> consumers_;
  bool chain_ = true;
  ParameterStore parameters_;
};

// The plans of one graph on one device, one per batch size, made on first use and kept: a tail batch never
// re-plans, and each conv2d's algorithm is chosen once per (layer, shape) for the cache's life.
class PlanCache {
 public:
  explicit PlanCache(const Graph& graph, bool fuse = false) : graph_(graph), fuse_(fuse) {}
  const GraphPlan& get(const ExecContext& ctx, int64_t batch);
  // The largest arena over every plan made so far (what run() needs for all of them).
  int64_t arena_floats() const { return arena_floats_; }
  // The algorithm every plan chose ("<layer> <input shape>" -> name); empty on the CPU.
  AlgorithmChoices algorithms() const;

 private:
  const Graph& graph_;
  bool fuse_;
  std::map<int64_t, GraphPlan> plans_;
  int64_t arena_floats_ = 0;
};

}  // namespace ftcnn
