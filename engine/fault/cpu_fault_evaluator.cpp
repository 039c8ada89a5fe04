// The CPU FaultEvaluator: flips bits in the host parameter arena, classifies with the CPU runner.
#include <fmt/format.h>

#include "engine/batches.hpp"
#include "engine/cpu_context.hpp"
#include "engine/error.hpp"
#include "engine/evaluate.hpp"
#include "engine/fault/fault_evaluator.hpp"
#include "engine/fault/linear_tail.hpp"
#include "engine/memory_limit.hpp"

#ifdef FTCNN_WITH_CUDA
#include "engine/cuda/cuda_fault_evaluator.hpp"
#endif

namespace ftcnn {
namespace {

class CpuFaultEvaluator final : public FaultEvaluator {
 public:
  CpuFaultEvaluator(Graph& graph, const FaultTargets& targets, const Dataset& data, float scale,
                    const std::vector<float>& mean, const std::vector<float>& std,
                    const EvaluatorOptions& options)
      : graph_(graph),
        targets_(targets),
        labels_(data.labels),
        runner_(make_runner(graph, Device::cpu, options.threads)),
        batch_(options.batch > 0 ? options.batch : 128),
        threads_(options.threads),
        checkpoint_budget_(options.checkpoint_budget),
        convolution_(cpu_convolution_from_environment()),  // what the runner's context chose
        linear_(cpu_linear_from_environment()),
        fuse_(cpu_fusion_from_environment()) {
    images_ = data.count;
    classes_ = graph.spec().num_classes;
    inputs_.resize(static_cast<size_t>(data.count * data.item.numel()));
    preprocess_images(data, 0, data.count, scale, mean, std, inputs_.data());
    logits_.resize(static_cast<size_t>(std::min(batch_, images_) * classes_));
  }

  std::string description() const override { return runner_->description(); }

  // The CPU arithmetic that differs from ftcnn's first CPU backend (im2col + OpenBLAS for convolutions and
  // linear layers), whose logs record nothing: oneDNN's convolution and the ordered linear kernel round
  // otherwise, so a log made with one is never resumed with another.
  AlgorithmChoices algorithms() const override {
    AlgorithmChoices choices;
    if (convolution_ == CpuConvolution::onednn) choices["cpu convolution"] = "oneDNN direct fp32";
    if (linear_ == CpuLinear::ordered) choices["cpu linear"] = "ordered fma chain";
    return choices;
  }

  CheckpointPlan plan_checkpoints(const ForEachRepetition& repetitions) override {
    // Stale until the next golden run; a failure below leaves no checkpoints rather than half of them.
    golden_.clear();
    checkpoints_ = CheckpointLayout();
    kept_ = std::vector<float>();
    tail_ = LinearTail();
    const int64_t budget =
        checkpoint_budget_ < 0 ? default_checkpoint_budget(available_memory_bytes()) : checkpoint_budget_;
    // Repetitions whose faults all lie in the model's final linear layers recompute those row by row
    // (engine/fault/linear_tail.hpp), which the ordered linear kernel makes exact; it comes first in the
    // budget, the checkpoints of the other repetitions get the rest.
    LinearTail tail;
    if (linear_ == CpuLinear::ordered) tail = LinearTail(graph_, targets_, images_, budget);
    bool covers_some = false;
    if (!tail.empty())
      repetitions([&](const std::vector<int64_t>& counts) { covers_some |= tail.covers(counts); });
    if (!covers_some) tail = LinearTail();
    const ForEachRepetition others = [&](const RepetitionCountsVisitor& visit) {
      repetitions([&](const std::vector<int64_t>& counts) {
        if (!tail.covers(counts)) visit(counts);
      });
    };
    // A run may start only where a step of every plan starts (the runner fuses: engine/cpu_context.hpp).
    CheckpointLayout layout(graph_, campaign_steps(graph_, fuse_, Device::cpu, images_, batch_), targets_,
                            others, images_, std::min(batch_, images_), budget - tail.bytes());
    check_fits_memory(checked_product(layout.floats(), sizeof(float), "checkpoints") + tail.bytes(),
                      "the checkpoints");
    kept_.resize(static_cast<size_t>(layout.floats()));
    tail.allocate();
    if (!tail.empty() && !tail_context_)
      tail_context_ = std::make_unique<CpuContext>(threads_, convolution_, linear_);
    checkpoints_ = std::move(layout);
    tail_ = std::move(tail);
    CheckpointPlan plan = checkpoints_.plan();
    plan.linear_tail = tail_.layers();
    plan.linear_tail_bytes = tail_.bytes();
    return plan;
  }

  GoldenRun golden() override {
    golden_ = classify(0, true);
    GoldenRun run;
    run.images = images_;
    for (int64_t i = 0; i < images_; ++i) {
      if (golden_[static_cast<size_t>(i)] == kNoPrediction) ++run.non_finite;
      if (golden_[static_cast<size_t>(i)] == labels_[static_cast<size_t>(i)]) ++run.correct;
    }
    return run;
  }

  OutcomeCounts run_repetition(const FaultKey& key, const std::vector<int64_t>& counts) override {
    if (tail_.covers(counts)) return run(fault_sites(targets_, counts, key), 0, true);
    const int start = checkpoints_.plan().empty() ? 0 : checkpoints_.start_for(counts);
    return run(fault_sites(targets_, counts, key), start, false);
  }

  OutcomeCounts run_sites(const std::vector<FaultSite>& sites) override {
    if (tail_.covers(sites)) return run(sites, 0, true);
    return run(sites, checkpoints_.plan().empty() ? 0 : checkpoints_.start_for(graph_, sites), false);
  }

  uint64_t parameter_checksum() override { return graph_.parameters().checksum(); }

 private:
  // Flips `sites`, classifies from node `start` (a checkpoint before the first faulty layer, or 0) or, with
  // `in_tail`, by recomputing the linear tail's changed rows, restores.
  OutcomeCounts run(const std::vector<FaultSite>& sites, int start, bool in_tail) {
    FT_CHECK(!golden_.empty(), "run a golden pass before repetitions");
    float* arena = graph_.parameters().arena().data();
    flip_bits(arena, sites);
    OutcomeCounts counts;
    try {
      const std::vector<int32_t> predictions =
          in_tail ? tail_.predictions(graph_, sites, *tail_context_) : classify(start, false);
      for (int64_t i = 0; i < images_; ++i) {
        const int32_t p = predictions[static_cast<size_t>(i)], g = golden_[static_cast<size_t>(i)];
        if (p == kNoPrediction)
          ++counts.due;
        else if (p == g)
          ++counts.masked;
        else
          ++counts.sdc;
        if (p == labels_[static_cast<size_t>(i)]) ++counts.correct;
      }
    } catch (...) {
      flip_bits(arena, sites);  // never leave faults behind
      throw;
    }
    flip_bits(arena, sites);
    return counts;
  }

  // The predictions of every image, each batch run from node `start` (its values from the checkpoints);
  // `keep`: the golden run, which fills the checkpoints.
  std::vector<int32_t> classify(int start, bool keep) {
    std::vector<int32_t> predictions(static_cast<size_t>(images_));
    const int64_t item = graph_.spec().input.numel();
    for_each_batch(images_, batch_, [&](int64_t first, int64_t count) {
      LayerHooks hooks;
      if (keep && (!checkpoints_.plan().empty() || !tail_.empty())) {
        hooks.after = [&](int node, const Shape& shape, float* out) {
          const int64_t at = checkpoints_.offset(node, first);
          if (at >= 0) std::copy(out, out + shape.numel(), kept_.data() + at);
          tail_.keep(node, first, count, out);
        };
      }
      const RunStart from = start > 0 ? checkpoints_.run_start(start, kept_.data(), first) : RunStart{};
      runner_->forward_device(inputs_.data() + first * item, count, logits_.data(),
                              hooks.after ? &hooks : nullptr, start > 0 ? &from : nullptr);
      if (keep) tail_.keep_logits(first, count, logits_.data());
      for (int64_t i = 0; i < count; ++i)
        predictions[static_cast<size_t>(first + i)] = top1(logits_.data() + i * classes_, classes_);
    });
    return predictions;
  }

  Graph& graph_;
  const FaultTargets& targets_;
  std::vector<int32_t> labels_;
  std::unique_ptr<Runner> runner_;
  int64_t batch_;
  int threads_;
  int64_t images_ = 0, classes_ = 0;
  std::vector<float> inputs_, logits_;
  std::vector<int32_t> golden_;
  int64_t checkpoint_budget_;
  CpuConvolution convolution_;
  CpuLinear linear_;
  bool fuse_;  // whether the runner fuses layers with what follows (what its steps are)
  CheckpointLayout checkpoints_;
  std::vector<float> kept_;  // the golden values checkpoints_ lays out
  LinearTail tail_;
  std::unique_ptr<CpuContext> tail_context_;  // the element-wise layers the tail runs, and its threads
};

}  // namespace

std::unique_ptr<FaultEvaluator> make_fault_evaluator(Graph& graph, const FaultTargets& targets,
                                                     const Dataset& data, float scale,
                                                     const std::vector<float>& mean,
                                                     const std::vector<float>& std, Device device,
                                                     const EvaluatorOptions& options) {
  FT_CHECK(graph.spec().input == data.item, "model '{}' takes inputs {} but {} holds images {}",
           graph.spec().arch, graph.spec().input.str(), data.source, data.item.str());
  FT_CHECK(graph.spec().num_classes == data.num_classes, "model '{}' has {} classes but {} has {}",
           graph.spec().arch, graph.spec().num_classes, data.source, data.num_classes);
  switch (device) {
    case Device::cpu:
      return std::make_unique<CpuFaultEvaluator>(graph, targets, data, scale, mean, std, options);
    case Device::cuda:
#ifdef FTCNN_WITH_CUDA
      return make_cuda_fault_evaluator(graph, targets, data, scale, mean, std, options);
#else
      FT_THROW("this build of ftcnn has no CUDA backend (nvcc was not found at build time)");
#endif
  }
  return nullptr;
}

}  // namespace ftcnn
