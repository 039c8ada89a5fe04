// One repetition of a campaign on one device: inject a fault set, classify the images, compare every image
// with the golden (fault-free) prediction, restore the parameters exactly.
//
// Outcome of an image in a repetition:
//   masked  same class as the golden run
//   SDC     another class, all logits finite (silent data corruption)
//   DUE     any NaN or Inf logit (detected unrecoverable error): never counted as a prediction
// `correct` counts images classified as their label (a DUE image is never correct).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/fault/checkpoints.hpp"
#include "engine/fault/fault_counts.hpp"
#include "engine/graph.hpp"
#include "engine/io/cifar_dataset.hpp"

namespace ftcnn {

struct OutcomeCounts {
  int64_t correct = 0, masked = 0, sdc = 0, due = 0;
};

struct GoldenRun {
  int64_t images = 0;
  int64_t correct = 0;
  int64_t non_finite = 0;
};

class FaultEvaluator {
 public:
  virtual ~FaultEvaluator() = default;
  virtual std::string description() const = 0;
  // Checkpoints (engine/fault/checkpoints.hpp): before golden(), the fault counts of the repetitions to
  // come; the evaluator chooses where to keep golden activations within EvaluatorOptions::checkpoint_budget
  // and says what it chose. Without this call every repetition runs the whole forward pass.
  virtual CheckpointPlan plan_checkpoints(const ForEachRepetition& repetitions) = 0;
  // Classifies the fault-free model and keeps its predictions as the reference.
  virtual GoldenRun golden() = 0;
  // Flips `counts[g]` sites of every group (sites from fault_site()), classifies, restores.
  virtual OutcomeCounts run_repetition(const FaultKey& key, const std::vector<int64_t>& counts) = 0;
  // Applies an explicit fault list (replay), classifies, restores.
  virtual OutcomeCounts run_sites(const std::vector<FaultSite>& sites) = 0;
  // FNV-1a checksum of the parameters as the device holds them now (same value as ParameterStore::checksum).
  virtual uint64_t parameter_checksum() = 0;
  // The convolution algorithm of every plan so far (CUDA; empty on the CPU), for the campaign log.
  virtual AlgorithmChoices algorithms() const { return {}; }
};

struct EvaluatorOptions {
  int64_t batch = 0;  // 0: the device's default
  int threads = 0;    // CPU threads, 0: all
  // CUDA: the convolution algorithms to use instead of choosing them (a resumed campaign's, from its log).
  AlgorithmChoices pinned_algorithms;
  // CUDA: the device (an MPI rank takes the one of its rank on the node).
  int cuda_device = 0;
  // Bytes for campaign checkpoints (engine/fault/checkpoints.hpp): 0 none, -1 a quarter of the free memory
  // of the device.
  int64_t checkpoint_budget = 0;
};

// The images are preprocessed once with the model's preprocessing and kept on the device.
std::unique_ptr<FaultEvaluator> make_fault_evaluator(Graph& graph, const FaultTargets& targets,
                                                     const Dataset& data, float scale,
                                                     const std::vector<float>& mean,
                                                     const std::vector<float>& std, Device device,
                                                     const EvaluatorOptions& options);

}  // namespace ftcnn
