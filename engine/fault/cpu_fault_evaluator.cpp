// The CPU FaultEvaluator: flips bits in the host parameter arena, classifies with the CPU runner.
#include <fmt/format.h>

#include "engine/batches.hpp"
#include "engine/cpu_context.hpp"
#include "engine/error.hpp"
#include "engine/evaluate.hpp"
#include "engine/fault/fault_evaluator.hpp"
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
        checkpoint_budget_(options.checkpoint_budget),
        convolution_(cpu_convolution_from_environment()) {  // what the runner's context chose
    images_ = data.count;
    classes_ = graph.spec().num_classes;
    inputs_.resize(static_cast<size_t>(data.count * data.item.numel()));
    preprocess_images(data, 0, data.count, scale, mean, std, inputs_.data());
    logits_.resize(static_cast<size_t>(std::min(batch_, images_) * classes_));
  }

  std::string description() const override { return runner_->description(); }

  // The CPU convolution, when it is oneDNN's: its sums round otherwise than im2col's, so a log made with one
  // must not be resumed with the other (im2col, the first CPU backend, records nothing, as logs always did).
  AlgorithmChoices algorithms() const override {
    if (convolution_ == CpuConvolution::im2col) return {};
    return {{"cpu convolution", "oneDNN direct fp32"}};
  }

  CheckpointPlan plan_checkpoints(const ForEachRepetition& repetitions) override {
    // Stale until the next golden run; a failure below leaves no checkpoints rather than half of them.
    golden_.clear();
    checkpoints_ = CheckpointLayout();
    kept_ = std::vector<float>();
    const int64_t budget =
        checkpoint_budget_ < 0 ? default_checkpoint_budget(available_memory_bytes()) : checkpoint_budget_;
    CheckpointLayout layout(graph_, std::vector<int>(static_cast<size_t>(graph_.size()), 0), targets_,
                            repetitions, images_, std::min(batch_, images_), budget);
    check_fits_memory(checked_product(layout.floats(), sizeof(float), "checkpoints"), "the checkpoints");
    kept_.resize(static_cast<size_t>(layout.floats()));
    checkpoints_ = std::move(layout);
    return checkpoints_.plan();
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
    const int start = checkpoints_.plan().empty() ? 0 : checkpoints_.start_for(counts);
    return run(fault_sites(targets_, counts, key), start);
  }

  OutcomeCounts run_sites(const std::vector<FaultSite>& sites) override {
    return run(sites, checkpoints_.plan().empty() ? 0 : checkpoints_.start_for(graph_, sites));
  }

  uint64_t parameter_checksum() override { return graph_.parameters().checksum(); }

 private:
  // Flips `sites`, classifies from node `start` (a checkpoint before the first faulty layer, or 0), restores.
  OutcomeCounts run(const std::vector<FaultSite>& sites, int start) {
    FT_CHECK(!golden_.empty(), "run a golden pass before repetitions");
    float* arena = graph_.parameters().arena().data();
    flip_bits(arena, sites);
    OutcomeCounts counts;
    try {
      const std::vector<int32_t> predictions = classify(start, false);
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
      if (keep && !checkpoints_.plan().empty()) {
        hooks.after = [&](int node, const Shape& shape, float* out) {
          const int64_t at = checkpoints_.offset(node, first);
          if (at >= 0) std::copy(out, out + shape.numel(), kept_.data() + at);
        };
      }
      const RunStart from = start > 0 ? checkpoints_.run_start(start, kept_.data(), first) : RunStart{};
      runner_->forward_device(inputs_.data() + first * item, count, logits_.data(),
                              hooks.after ? &hooks : nullptr, start > 0 ? &from : nullptr);
      for (int64_t i = 0; i < count; ++i)
        predictions[static_cast<size_t>(first + i)] = top1(logits_.data() + i * classes_, classes_);
    });
    return predictions;
  }

  Graph& graph_;
  const FaultTargets& targets_;
  std::vector<int32_t> labels_;
  std::unique_ptr<Runner> runner_;
  int64_t batch_, images_ = 0, classes_ = 0;
  std::vector<float> inputs_, logits_;
  std::vector<int32_t> golden_;
  int64_t checkpoint_budget_;
  CpuConvolution convolution_;
  CheckpointLayout checkpoints_;
  std::vector<float> kept_;  // the golden values checkpoints_ lays out
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
