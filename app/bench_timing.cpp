#include "app/bench_timing.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "engine/batches.hpp"
#include "engine/cuda/cuda_versions.hpp"
#include "engine/error.hpp"
#include "engine/runner.hpp"

#ifdef FTCNN_WITH_CUDA
#include "engine/cuda/cuda_check.hpp"
#include "engine/cuda/cuda_context.hpp"
#include "engine/cuda/cuda_runner.hpp"
#include "engine/cuda/device_buffer.hpp"
#include "engine/cuda/device_images.hpp"
#endif

namespace ftcnn::cli {

Timing summarize_ms(std::vector<double> runs) {
  Timing t;
  t.runs = runs;
  if (runs.empty()) return t;
  std::sort(runs.begin(), runs.end());
  const size_t n = runs.size();
  t.median = n % 2 == 1 ? runs[n / 2] : 0.5 * (runs[n / 2 - 1] + runs[n / 2]);
  t.min = runs.front();
  t.max = runs.back();
  return t;
}

nlohmann::json timing_json(const Timing& t) {
  return {{"median", t.median}, {"min", t.min}, {"max", t.max}, {"runs", t.runs}};
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "";
}

std::vector<std::string> cpu_isa() {
  static const char* const kExtensions[] = {"sse4_2",      "avx",         "avx2",     "fma",
                                            "avx512f",     "avx512bw",    "avx512vl", "avx512_vnni",
                                            "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16"};
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::vector<std::string> found;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags{std::istream_iterator<std::string>(words),
                                std::istream_iterator<std::string>()};
    for (const char* extension : kExtensions) {
      if (flags.count(extension) > 0) found.emplace_back(extension);
    }
    break;
  }
  return found;
}

double load_average() {
  double load[1] = {-1.0};
  return getloadavg(load, 1) == 1 ? load[0] : -1.0;
}

nlohmann::json versions_json(Device device) {
  if (device != Device::cuda) return nullptr;
  const CudaVersions v = cuda_versions();
  return {{"driver", v.driver},
          {"runtime", v.runtime},
          {"runtime_compiled", v.runtime_compiled},
          {"cudnn", v.cudnn},
          {"cudnn_compiled", v.cudnn_compiled},
          {"cublas", v.cublas},
          {"cublas_compiled", v.cublas_compiled}};
}

int64_t tail_batch(int64_t images, int64_t batch) {
  return images > batch ? images % batch : 0;
}

namespace {

class CpuPassTimer : public PassTimer {
 public:
  CpuPassTimer(Graph& graph, const Dataset& data, const Preprocessing& pre, int threads)
      : runner_(make_runner(graph, Device::cpu, threads)),
        images_(data.count),
        item_(data.item.numel()),
        classes_(graph.spec().num_classes),
        layers_(graph.size()),
        inputs_(static_cast<size_t>(data.count * item_)),
        logits_(static_cast<size_t>(data.count * classes_)) {
    preprocess_images(data, 0, data.count, pre.scale, pre.mean, pre.std, inputs_.data());
  }

  double pass_ms(int64_t batch) override {
    const auto start = std::chrono::steady_clock::now();
    for_each_batch(images_, batch, [&](int64_t first, int64_t count) {
      runner_->forward(inputs_.data() + first * item_, count, logits_.data() + first * classes_);
    });
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }

  std::vector<double> step_ms(int64_t batch) override {
    std::vector<double> ms(static_cast<size_t>(layers_), -1.0);
    auto last = std::chrono::steady_clock::now();
    LayerHooks hooks;
    hooks.after = [&](int layer, const Shape&, float*) {
      const auto now = std::chrono::steady_clock::now();
      double& step = ms[static_cast<size_t>(layer)];
      step = std::max(step, 0.0) + std::chrono::duration<double, std::milli>(now - last).count();
      last = now;
    };
    for_each_batch(images_, batch, [&](int64_t first, int64_t count) {
      last = std::chrono::steady_clock::now();
      runner_->forward_device(inputs_.data() + first * item_, count, logits_.data() + first * classes_,
                              &hooks, nullptr);
    });
    return ms;
  }

  std::vector<float> logits() override { return logits_; }
  std::string description() const override { return runner_->description(); }
  AlgorithmChoices algorithms() const override { return runner_->algorithms(); }

 private:
  std::unique_ptr<Runner> runner_;
  int64_t images_, item_, classes_;
  int layers_ = 0;
  std::vector<float> inputs_, logits_;
};

#ifdef FTCNN_WITH_CUDA
// Move-only owner of a CUDA event.
class CudaEvent {
 public:
  CudaEvent() { FT_CUDA_CHECK(cudaEventCreate(&event_)); }
  ~CudaEvent() {
    if (event_ != nullptr && cudaEventDestroy(event_) != cudaSuccess)
      report_in_destructor(__FILE__, __LINE__, "cudaEventDestroy failed");
  }
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

class CudaPassTimer : public PassTimer {
 public:
  CudaPassTimer(Graph& graph, const Dataset& data, const Preprocessing& pre)
      : runner_(make_cuda_runner(graph)),
        images_(data.count),
        item_(data.item.numel()),
        classes_(graph.spec().num_classes),
        layers_(graph.size()),
        inputs_(upload_images(data, pre.scale, pre.mean, pre.std, runner_->context().stream())),
        logits_(static_cast<size_t>(data.count * classes_)) {}

  double pass_ms(int64_t batch) override {
    CudaContext& cuda = runner_->context();
    FT_CUDA_CHECK(cudaEventRecord(start_.get(), cuda.stream()));
    for_each_batch(images_, batch, [&](int64_t first, int64_t count) {
      runner_->forward_device(inputs_.data() + first * item_, count, logits_.data() + first * classes_);
    });
    FT_CUDA_CHECK(cudaEventRecord(stop_.get(), cuda.stream()));
    FT_CUDA_CHECK(cudaEventSynchronize(stop_.get()));
    float ms = 0;
    FT_CUDA_CHECK(cudaEventElapsedTime(&ms, start_.get(), stop_.get()));
    return ms;
  }

  std::vector<double> step_ms(int64_t batch) override {
    CudaContext& cuda = runner_->context();
    // Per batch: an event before its first step, then one after each step, with the layer it ends at.
    std::vector<int> step_layer;
    size_t used = 0;
    const auto record = [&](int layer) {
      if (used == events_.size()) events_.push_back(std::make_unique<CudaEvent>());
      FT_CUDA_CHECK(cudaEventRecord(events_[used++]->get(), cuda.stream()));
      step_layer.push_back(layer);
    };
    LayerHooks hooks;
    hooks.after = [&](int layer, const Shape&, float*) { record(layer); };
    for_each_batch(images_, batch, [&](int64_t first, int64_t count) {
      record(-1);
      runner_->forward_device(inputs_.data() + first * item_, count, logits_.data() + first * classes_,
                              &hooks);
    });
    std::vector<double> ms(static_cast<size_t>(layers_), -1.0);
    if (used == 0) return ms;
    FT_CUDA_CHECK(cudaEventSynchronize(events_[used - 1]->get()));
    for (size_t i = 1; i < used; ++i) {
      if (step_layer[i] < 0) continue;  // a batch's start
      float elapsed = 0;
      FT_CUDA_CHECK(cudaEventElapsedTime(&elapsed, events_[i - 1]->get(), events_[i]->get()));
      double& step = ms[static_cast<size_t>(step_layer[i])];
      step = std::max(step, 0.0) + elapsed;
    }
    return ms;
  }

  std::vector<float> logits() override {
    std::vector<float> host(static_cast<size_t>(images_ * classes_));
    CudaContext& cuda = runner_->context();
    FT_CUDA_CHECK(cudaMemcpyAsync(host.data(), logits_.data(), host.size() * sizeof(float),
                                  cudaMemcpyDeviceToHost, cuda.stream()));
    cuda.synchronize();
    return host;
  }

  std::string description() const override { return runner_->description(); }
  AlgorithmChoices algorithms() const override { return runner_->algorithms(); }

 private:
  std::unique_ptr<CudaRunner> runner_;
  int64_t images_, item_, classes_;
  int layers_ = 0;
  DeviceBuffer<float> inputs_, logits_;
  CudaEvent start_, stop_;
  std::vector<std::unique_ptr<CudaEvent> > events_;  // step_ms's, kept between calls
};
#endif

}  // namespace

std::unique_ptr<PassTimer> make_pass_timer(Graph& graph, const Dataset& data, const Preprocessing& pre,
                                           Device device, int cpu_threads) {
  if (device == Device::cpu) return std::make_unique<CpuPassTimer>(graph, data, pre, cpu_threads);
#ifdef FTCNN_WITH_CUDA
  return std::make_unique<CudaPassTimer>(graph, data, pre);
#else
  FT_THROW("--device cuda: this build of ftcnn has no CUDA backend (nvcc was not found at build time)");
#endif
}

}  // namespace ftcnn::cli
