// Detection intervals for the EDAC layers (docs/hardening.md): per conv2d / linear layer and output
// channel, the minimum and maximum of the layer's output (before BatchNorm) over a profiling set.
//
// IntervalProfiler runs a plain (unhardened) graph on the CPU with a hook after every layer (Graph::run) that
// folds the output of every conv2d and linear layer into running per-channel minima and maxima, batch after
// batch. Interval files are
// HDF5: datasets "<layer>/lower" and "<layer>/upper" (float32 [channels]) plus root attributes `format`
// ("ftcnn-intervals"), `format_version` (1) and `provenance` (JSON: tool, time, model, its checksum, data).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/cpu_context.hpp"
#include "engine/graph.hpp"

namespace ftcnn {

struct LayerInterval {
  std::string layer;
  std::vector<float> lower, upper;  // per output channel
};

struct IntervalProfile {
  std::vector<LayerInterval> layers;  // graph order
  int64_t images = 0;                 // items folded in (0 when read from a file that does not say)
  std::string provenance_json = "{}";
  std::string source;  // the file it was read from ("" when profiled in memory), for messages

  // The layer's intervals, or nullptr.
  const LayerInterval* find(const std::string& layer) const;
};

class IntervalProfiler {
 public:
  // Throws when the graph already holds hardening layers (profile the plain model) or has no conv2d /
  // linear layer. threads <= 0 uses every hardware thread.
  explicit IntervalProfiler(Graph& graph, int threads = 0);

  // Runs `batch` preprocessed items ([batch, C, H, W] host memory) and folds in the outputs. Throws naming
  // the layer when an output holds NaN or Inf (a fault-free model never should).
  void add(const float* input, int64_t batch);
  const IntervalProfile& profile() const { return profile_; }

 private:
  // Folds one layer's output into its intervals (the hook).
  void fold(int layer, const Shape& shape, const float* out);

  Graph& graph_;
  CpuContext cpu_;
  ExecContext ctx_;
  PlanCache plans_{graph_};
  std::vector<float> arena_;  // activations
  std::vector<float> logits_;
  std::vector<int> profiled_layer_;  // per graph layer: index into profile_.layers, or -1
  IntervalProfile profile_;
};

// The intervals widened by `margin` x max(|lower|, |upper|) on both sides, per channel (margin >= 0; 0 leaves
// them exact). Why: the CPU's GEMM and cuDNN round differently for other batch sizes, thread counts and
// matrix shapes (a hardened layer has more rows), so the profiled extreme itself can come out a rounding
// step outside its exact interval and be zeroed; a margin far above rounding and far below any fault that
// matters keeps a fault-free hardened model equal to the plain one.
IntervalProfile widen_intervals(const IntervalProfile& profile, double margin);

}  // namespace ftcnn
