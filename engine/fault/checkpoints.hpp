// Campaign checkpoints: a parameter fault cannot change anything computed before the first layer it
// touches, so a repetition may start from the golden (fault-free) activations at that layer's input instead
// of from the model input. The evaluator keeps, for every image, the golden outputs that runs starting at a
// few chosen nodes need (Graph::cut), within a memory budget, and starts each repetition at the deepest
// chosen node at or before its first faulty node. Outcomes are those of the whole forward pass bit for bit:
// the kept values are the very ones the golden run computed, from the same batches. docs/campaigns.md.
//
// Which nodes: before its golden run the campaign counts its repetitions by first faulty node (the demand);
// nodes are then added greedily by multiply-accumulates saved over those repetitions per byte kept, while
// the budget allows.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/fault/fault_key.hpp"
#include "engine/fault/fault_targets.hpp"
#include "engine/graph.hpp"

namespace ftcnn {

// The node of each fault group (the layer whose tensors it holds).
std::vector<int> group_nodes(const Graph& graph, const FaultTargets& targets);
// The first node a repetition's faults touch: the lowest node of a group with a count; graph size when the
// repetition flips nothing.
int first_faulty_node(const std::vector<int>& group_nodes, const std::vector<int64_t>& counts, int nodes);
// The same for an explicit fault list (replay).
int first_faulty_node(const Graph& graph, const std::vector<FaultSite>& sites);

// Calls `visit` with the fault counts of every repetition to come (Campaign: plan_campaign_checkpoints).
using RepetitionCountsVisitor = std::function<void(const std::vector<int64_t>& counts)>;
using ForEachRepetition = std::function<void(const RepetitionCountsVisitor& visit)>;

struct CheckpointPlan {
  std::vector<int> starts;  // ascending nodes a repetition may start at (never 0: that is the model input)
  std::vector<int> values;  // ascending nodes whose golden outputs are kept: the union of their cuts
  int64_t bytes = 0;        // the kept values for every image
  // CPU: the linear layers a repetition whose faults all lie in them recomputes row by row
  // (engine/fault/linear_tail.hpp), and the golden values that keeps.
  std::vector<int> linear_tail;
  int64_t linear_tail_bytes = 0;
  // The deepest start at or before `node`; 0 (a whole forward pass) when there is none.
  int start_for(int node) const;
  bool empty() const { return starts.empty(); }
};

// Where a run may start when the runner fuses (`fuse`): -1 for a node that some plan of the campaign (its
// full batches' and its last one's) absorbs into an earlier one, else 0; all 0 without fusion. The
// `absorbed` argument of choose_checkpoints and CheckpointLayout.
std::vector<int> campaign_steps(const Graph& graph, bool fuse, Device device, int64_t images, int64_t batch);

// `demand[n]`: repetitions whose first faulty node is n (graph size + 1 entries; the last counts
// repetitions without faults). `absorbed` as GraphPlan's: a start must begin a step of the plan. The
// values are kept for `images` images in batches of `batch` (CheckpointLayout's layout). Nothing is chosen
// when the budget is 0 or no node saves work.
CheckpointPlan choose_checkpoints(const Graph& graph, const std::vector<int>& absorbed,
                                  const std::vector<int64_t>& demand, int64_t images, int64_t batch,
                                  int64_t budget_bytes);

// The device-independent half of an evaluator's checkpoints: the choice for a campaign, and where every
// kept value of every batch lies in one buffer of floats() floats: batch by batch, each value's [batch, ...]
// slice starting on a 64-float (256-byte) boundary, as the activation arena's do, so that a run from a
// checkpoint hands the libraries the alignment a whole pass does (cuBLAS and cuDNN choose kernels by it).
class CheckpointLayout {
 public:
  CheckpointLayout() = default;
  // Counts the repetitions by first faulty node and chooses within `budget_bytes`.
  CheckpointLayout(const Graph& graph, const std::vector<int>& absorbed, const FaultTargets& targets,
                   const ForEachRepetition& repetitions, int64_t images, int64_t batch, int64_t budget_bytes);

  const CheckpointPlan& plan() const { return plan_; }
  int64_t floats() const { return floats_; }
  // Where node `node`'s value for the batch that starts at image `image` (a multiple of the batch size)
  // starts in the buffer, or -1 when it is not kept.
  int64_t offset(int node, int64_t image) const;
  // The node a repetition with these fault counts (fault sites) starts at.
  int start_for(const std::vector<int64_t>& counts) const;
  int start_for(const Graph& graph, const std::vector<FaultSite>& sites) const;
  // The RunStart of the batch from image `image` starting at `node` (> 0), the values in `buffer`.
  RunStart run_start(int node, const float* buffer, int64_t image) const;

 private:
  CheckpointPlan plan_;
  std::vector<int> group_nodes_;
  int nodes_ = 0;
  int64_t batch_ = 1;
  std::vector<int64_t> slots_;  // per node: offset within a batch's part; -1: not kept
  int64_t batch_floats_ = 0;    // one batch's part
  int64_t floats_ = 0;
};

// Floats of one value's [batch, ...] slice in the kept buffer: rounded up to the 64-float boundary.
int64_t checkpoint_slice_floats(int64_t per_item, int64_t batch);

// The budget when none is given (--checkpoint-memory auto): a quarter of the memory free on the device that
// keeps the values.
int64_t default_checkpoint_budget(int64_t free_bytes);
// "2G", "512M", "64k", "1073741824" (bytes; binary units, an optional "iB"/"B"), "0" (none) or "auto" (-1);
// throws naming the text otherwise.
int64_t parse_checkpoint_memory(const std::string& text);

// One line for the log and the progress output: "3 (features.6, classifier.1, classifier.4), 41.2 MiB".
std::string describe(const CheckpointPlan& plan, const Graph& graph);

}  // namespace ftcnn
