// Campaign repetitions whose faults all lie in the linear layers at the end of a model (the classifier of
// AlexNet and VGG, where low bit error rates put every fault, since those layers hold most of the bits),
// recomputed row by row instead of layer by layer.
//
// A fault in weight row j (or bias j) of a linear layer changes output j and nothing else, and with the
// ordered kernel (engine/linear_kernel.hpp) output j of an image computed alone is the very value the whole
// layer computes. So, from the golden inputs of the tail's linear layers kept for every image, a repetition
// recomputes the faulty rows for every image, applies the element-wise activations between the layers to
// what changed, and recomputes the next layer only for the images whose input changed (all its rows: they
// all read every input). Values equal to the golden ones are dropped as they appear (a ReLU that clips both
// to zero), and each image's logits are the golden ones with what is left. The predictions, and so every
// outcome, are those of the whole forward pass bit for bit (test/test_checkpoints.cpp). docs/campaigns.md.
//
// The tail is the longest chain at the end of the graph of linear layers and element-wise activations
// (relu, relu6, leaky_relu, dropout), from its first linear layer whose golden inputs, with those of every
// later one and the golden logits, fit in the memory given to it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/cpu_context.hpp"
#include "engine/fault/fault_key.hpp"
#include "engine/fault/fault_targets.hpp"
#include "engine/graph.hpp"

namespace ftcnn {

class LinearTail {
 public:
  LinearTail() = default;
  // The tail of `graph` for `images` images within `budget_bytes`; empty when the graph does not end in
  // such a chain or when not even its last linear layer's values fit. Nothing is allocated before
  // allocate().
  LinearTail(const Graph& graph, const FaultTargets& targets, int64_t images, int64_t budget_bytes);
  // Makes room for the golden values (bytes()).
  void allocate();

  bool empty() const { return linears_.empty(); }
  // The linear layers it covers, in order, and the bytes it keeps.
  const std::vector<int>& layers() const { return linears_; }
  int64_t bytes() const { return bytes_; }
  // True when every fault falls into a linear layer of the tail (or there is none).
  bool covers(const std::vector<int64_t>& counts) const;
  bool covers(const std::vector<FaultSite>& sites) const;

  // The golden run: called after every node with its output for the batch of `count` images from image
  // `first` (a LayerHooks::after), and with that batch's logits.
  void keep(int node, int64_t first, int64_t count, const float* out);
  void keep_logits(int64_t first, int64_t count, const float* logits);

  // Every image's prediction (engine/evaluate.hpp's top1) under `sites`, which are in the graph's arena now.
  std::vector<int32_t> predictions(Graph& graph, const std::vector<FaultSite>& sites, CpuContext& ctx);

 private:
  struct Step {
    int node;
    int linear = -1;  // index into linears_ for a linear layer, -1 for an element-wise one
  };
  // Per image, the positions of the current tensor whose values differ from the golden ones, and those
  // values (compressed rows: image n's are entries offsets[n] .. offsets[n + 1] - 1).
  struct Changes {
    std::vector<int64_t> offsets;
    std::vector<int32_t> positions;
    std::vector<float> values;
  };

  int64_t images_ = 0, classes_ = 0, bytes_ = 0;
  std::vector<int> linears_;                // tail linear nodes, ascending
  std::vector<int64_t> in_, out_;           // per linear: features in and out
  std::vector<int> weight_, bias_;          // per linear: ParameterStore indices (bias -1 without)
  std::vector<Step> steps_;                 // from the first linear to the last node
  std::vector<int> input_of_;               // per graph node: the linear whose input it is, or -1
  std::vector<std::vector<float>> inputs_;  // per linear: golden inputs, [images][in]
  std::vector<float> logits_;               // golden logits, [images][classes]
  std::vector<bool> group_in_tail_;         // per fault group
  std::vector<float> scratch_, rows_out_, patched_, full_out_, applied_;
};

}  // namespace ftcnn
