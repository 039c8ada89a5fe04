#include "engine/cuda/cuda_fault_evaluator.hpp"

#include <fmt/format.h>

#include "engine/batches.hpp"
#include "engine/cuda/cuda_context.hpp"
#include "engine/cuda/cuda_runner.hpp"
#include "engine/cuda/device_images.hpp"
#include "engine/memory_limit.hpp"
#include "kernels/classify.cuh"
#include "kernels/fault_injection.cuh"

namespace ftcnn {
namespace {

// Page-locked host memory, so that the per-repetition copies are truly asynchronous.
template <typename T>
class PinnedBuffer {
 public:
  explicit PinnedBuffer(size_t count) : count_(count) {
    void* p = nullptr;
    FT_CUDA_CHECK(cudaMallocHost(&p, count * sizeof(T)));
    data_ = static_cast<T*>(p);
  }
  ~PinnedBuffer() {
    if (data_ != nullptr && cudaFreeHost(data_) != cudaSuccess)
      report_in_destructor(__FILE__, __LINE__, "cudaFreeHost failed");
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  T* data() { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  size_t size() const { return count_; }

 private:
  T* data_ = nullptr;
  size_t count_;
};

template <typename T>
void upload(DeviceBuffer<T>& dst, const T* src, size_t count, cudaStream_t stream) {
  dst.resize(std::max<size_t>(count, 1));
  if (count > 0)
    FT_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src, count * sizeof(T), cudaMemcpyHostToDevice, stream));
}

class CudaFaultEvaluator final : public FaultEvaluator {
 public:
  CudaFaultEvaluator(Graph& graph, const FaultTargets& targets, const Dataset& data, float scale,
                     const std::vector<float>& mean, const std::vector<float>& std,
                     const EvaluatorOptions& options)
      : graph_(graph),
        targets_(targets),
        runner_(make_cuda_runner(graph, options.cuda_device, options.pinned_algorithms)),
        batch_(options.batch > 0 ? options.batch : 1000),
        checkpoint_budget_(options.checkpoint_budget),
        images_(data.count),
        classes_(graph.spec().num_classes),
        offsets_host_(targets.groups().size() + 1),
        counters_host_(kernels::kOutcomeCounters) {
    cudaStream_t stream = runner_->context().stream();
    inputs_ = upload_images(data, scale, mean, std, stream);
    upload(labels_, data.labels.data(), data.labels.size(), stream);
    upload(groups_, targets.groups().data(), targets.groups().size(), stream);
    upload(tensors_, targets.tensors().data(), targets.tensors().size(), stream);
    offsets_.resize(offsets_host_.size());
    golden_.resize(static_cast<size_t>(images_));
    counters_.resize(kernels::kOutcomeCounters);
    logits_.resize(static_cast<size_t>(std::min(batch_, images_) * classes_));
    runner_->context().synchronize();  // the host vectors may go
  }

  std::string description() const override { return runner_->description(); }
  AlgorithmChoices algorithms() const override { return runner_->algorithms(); }

  CheckpointPlan plan_checkpoints(const ForEachRepetition& repetitions) override {
    // Stale until the next golden run; a failure below leaves no checkpoints rather than half of them. The
    // previous choice's memory goes back before the free memory is measured.
    have_golden_ = false;
    checkpoints_ = CheckpointLayout();
    kept_ = DeviceBuffer<float>();
    size_t free = 0, total = 0;
    FT_CUDA_CHECK(cudaMemGetInfo(&free, &total));
    const int64_t budget =
        checkpoint_budget_ < 0 ? default_checkpoint_budget(static_cast<int64_t>(free)) : checkpoint_budget_;
    // A run may start only where a step of every plan starts (the full batches' and the last one's).
    CheckpointLayout layout(graph_,
                            campaign_steps(graph_, runner_->options().fuse, Device::cuda, images_, batch_),
                            targets_, repetitions, images_, std::min(batch_, images_), budget);
    const int64_t bytes = checked_product(layout.floats(), sizeof(float), "checkpoints");
    FT_CHECK(bytes <= static_cast<int64_t>(free),
             "--checkpoint-memory: the checkpoints chosen need {:.1f} MiB, more than the {:.1f} MiB free on "
             "the GPU; give a smaller size or auto",
             static_cast<double>(bytes) / 1048576.0, static_cast<double>(free) / 1048576.0);
    kept_.resize(static_cast<size_t>(layout.floats()));
    checkpoints_ = std::move(layout);
    return checkpoints_.plan();
  }

  GoldenRun golden() override {
    cudaStream_t stream = runner_->context().stream();
    const int64_t item = graph_.spec().input.numel();
    for_each_batch(images_, batch_, [&](int64_t first, int64_t count) {
      LayerHooks keep;
      keep.after = [&](int node, const Shape& shape, float* out) {
        const int64_t at = checkpoints_.offset(node, first);
        if (at < 0) return;
        FT_CUDA_CHECK(cudaMemcpyAsync(kept_.data() + at, out,
                                      static_cast<size_t>(shape.numel()) * sizeof(float),
                                      cudaMemcpyDeviceToDevice, stream));
      };
      runner_->forward_device(inputs_.data() + first * item, count, logits_.data(),
                              checkpoints_.plan().empty() ? nullptr : &keep);
      kernels::launch_top1(logits_.data(), count, classes_, golden_.data() + first, stream);
      FT_LAUNCH_CHECK("top1");
    });
    std::vector<int32_t> predictions(static_cast<size_t>(images_)), labels(static_cast<size_t>(images_));
    FT_CUDA_CHECK(cudaMemcpyAsync(predictions.data(), golden_.data(), predictions.size() * sizeof(int32_t),
                                  cudaMemcpyDeviceToHost, stream));
    FT_CUDA_CHECK(cudaMemcpyAsync(labels.data(), labels_.data(), labels.size() * sizeof(int32_t),
                                  cudaMemcpyDeviceToHost, stream));
    runner_->context().synchronize();
    GoldenRun run;
    run.images = images_;
    for (size_t i = 0; i < predictions.size(); ++i) {
      if (predictions[i] < 0) ++run.non_finite;
      if (predictions[i] == labels[i]) ++run.correct;
    }
    have_golden_ = true;
    return run;
  }

  OutcomeCounts run_repetition(const FaultKey& key, const std::vector<int64_t>& counts) override {
    FT_CHECK(have_golden_, "run a golden pass before repetitions");
    cudaStream_t stream = runner_->context().stream();
    offsets_host_[0] = 0;
    for (size_t g = 0; g < counts.size(); ++g) offsets_host_[g + 1] = offsets_host_[g] + counts[g];
    const int64_t total = offsets_host_[counts.size()];
    FT_CUDA_CHECK(cudaMemcpyAsync(offsets_.data(), offsets_host_.data(),
                                  offsets_host_.size() * sizeof(int64_t), cudaMemcpyHostToDevice, stream));
    auto flip = [&] {
      kernels::launch_flip_repetition(runner_->device_parameters(), groups_.data(), tensors_.data(),
                                      offsets_.data(), static_cast<int>(counts.size()), total,
                                      targets_.bit_first(), targets_.bit_count(), key, stream);
      FT_LAUNCH_CHECK("flip_repetition");
    };
    const int start = checkpoints_.plan().empty() ? 0 : checkpoints_.start_for(counts);
    flip();
    const OutcomeCounts outcome = restoring_on_error(flip, [&] { return classify_and_compare(start); });
    flip();  // restore: the same sites again
    return outcome;
  }

  OutcomeCounts run_sites(const std::vector<FaultSite>& sites) override {
    FT_CHECK(have_golden_, "run a golden pass before repetitions");
    cudaStream_t stream = runner_->context().stream();
    std::vector<int64_t> elements;
    std::vector<uint32_t> bits;
    for (const FaultSite& s : sites) {
      elements.push_back(s.element);
      bits.push_back(s.bit);
    }
    DeviceBuffer<int64_t> d_elements;
    DeviceBuffer<uint32_t> d_bits;
    upload(d_elements, elements.data(), elements.size(), stream);
    upload(d_bits, bits.data(), bits.size(), stream);
    auto flip = [&] {
      kernels::launch_flip_list(runner_->device_parameters(), d_elements.data(), d_bits.data(),
                                static_cast<int64_t>(sites.size()), stream);
      FT_LAUNCH_CHECK("flip_list");
    };
    const int start = checkpoints_.plan().empty() ? 0 : checkpoints_.start_for(graph_, sites);
    flip();
    const OutcomeCounts outcome = restoring_on_error(flip, [&] { return classify_and_compare(start); });
    flip();
    runner_->context().synchronize();  // d_elements and d_bits leave scope
    return outcome;
  }

  uint64_t parameter_checksum() override {
    std::vector<float> arena(graph_.parameters().arena().size());
    FT_CUDA_CHECK(cudaMemcpyAsync(arena.data(), runner_->device_parameters(), arena.size() * sizeof(float),
                                  cudaMemcpyDeviceToHost, runner_->context().stream()));
    runner_->context().synchronize();
    return graph_.parameters().checksum(arena.data());
  }

 private:
  // Runs `body` with the faults in place; when it throws, flips them back (as the CPU evaluator does) before
  // the exception goes on, so that the device's parameters never keep faults behind. When the restore
  // itself fails (a sticky CUDA error breaks every later call), the first error goes on and the second is
  // reported.
  template <typename Flip, typename Body>
  OutcomeCounts restoring_on_error(const Flip& flip, const Body& body) {
    try {
      return body();
    } catch (...) {
      try {
        flip();
        runner_->context().synchronize();
      } catch (const std::exception& e) {
        report_in_destructor(__FILE__, __LINE__,
                             fmt::format("restoring the parameters after an error failed too: {}", e.what()));
      }
      throw;
    }
  }

  // Classifies every image, each batch from node `start` (its values from the checkpoints), and counts
  // the outcomes against the golden predictions.
  OutcomeCounts classify_and_compare(int start) {
    cudaStream_t stream = runner_->context().stream();
    FT_CUDA_CHECK(
        cudaMemsetAsync(counters_.data(), 0, kernels::kOutcomeCounters * sizeof(unsigned long long), stream));
    const int64_t item = graph_.spec().input.numel();
    for_each_batch(images_, batch_, [&](int64_t first, int64_t count) {
      const RunStart from = start > 0 ? checkpoints_.run_start(start, kept_.data(), first) : RunStart{};
      runner_->forward_device(inputs_.data() + first * item, count, logits_.data(), nullptr,
                              start > 0 ? &from : nullptr);
      kernels::launch_compare_with_golden(logits_.data(), count, classes_, golden_.data() + first,
                                          labels_.data() + first, counters_.data(), stream);
      FT_LAUNCH_CHECK("compare_with_golden");
    });
    FT_CUDA_CHECK(cudaMemcpyAsync(counters_host_.data(), counters_.data(),
                                  kernels::kOutcomeCounters * sizeof(unsigned long long),
                                  cudaMemcpyDeviceToHost, stream));
    runner_->context().synchronize();
    OutcomeCounts outcome;
    outcome.correct = static_cast<int64_t>(counters_host_[kernels::kCorrect]);
    outcome.masked = static_cast<int64_t>(counters_host_[kernels::kMasked]);
    outcome.sdc = static_cast<int64_t>(counters_host_[kernels::kSdc]);
    outcome.due = static_cast<int64_t>(counters_host_[kernels::kDue]);
    return outcome;
  }

  Graph& graph_;
  const FaultTargets& targets_;
  std::unique_ptr<CudaRunner> runner_;
  int64_t batch_;
  int64_t checkpoint_budget_;
  int64_t images_, classes_;
  CheckpointLayout checkpoints_;
  DeviceBuffer<float> kept_;  // the golden values checkpoints_ lays out
  DeviceBuffer<float> inputs_, logits_;
  DeviceBuffer<int32_t> labels_, golden_;
  DeviceBuffer<TargetGroup> groups_;
  DeviceBuffer<TargetTensor> tensors_;
  DeviceBuffer<int64_t> offsets_;
  DeviceBuffer<unsigned long long> counters_;
  PinnedBuffer<int64_t> offsets_host_;
  PinnedBuffer<unsigned long long> counters_host_;
  bool have_golden_ = false;
};

}  // namespace

std::unique_ptr<FaultEvaluator> make_cuda_fault_evaluator(Graph& graph, const FaultTargets& targets,
                                                          const Dataset& data, float scale,
                                                          const std::vector<float>& mean,
                                                          const std::vector<float>& std,
                                                          const EvaluatorOptions& options) {
  return std::make_unique<CudaFaultEvaluator>(graph, targets, data, scale, mean, std, options);
}

}  // namespace ftcnn
