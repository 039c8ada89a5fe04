#include <fmt/format.h>

#include "engine/cpu_context.hpp"
#include "engine/error.hpp"
#include "engine/runner.hpp"

#ifdef FTCNN_WITH_CUDA
#include "engine/cuda/cuda_runner.hpp"
#endif

namespace ftcnn {
namespace {

class CpuRunner final : public Runner {
 public:
  CpuRunner(Graph& graph, int threads) : graph_(graph), cpu_(threads) { ctx_.cpu = &cpu_; }

  Device device() const override { return Device::cpu; }
  std::string description() const override { return fmt::format("cpu ({} threads)", cpu_.threads()); }
  void sync_parameters() override {}  // the CPU runs on the host arena itself

  void forward(const float* input, int64_t batch, float* output) override {
    forward_device(input, batch, output, nullptr, nullptr);
  }

  void forward_device(const float* input, int64_t batch, float* output, const LayerHooks* hooks,
                      const RunStart* start) override {
    const GraphPlan& plan = plans_.get(ctx_, batch);
    const size_t size = static_cast<size_t>(plans_.arena_floats());
    if (arena_.size() < size) arena_.resize(size);
    graph_.run(ctx_, plan, ParameterView(graph_.parameters(), graph_.parameters().arena().data()), input,
               arena_.data(), output, hooks, start);
  }

 private:
  Graph& graph_;
  CpuContext cpu_;
  ExecContext ctx_;
  // Correction layers absorb the BatchNorm2d + ReLU after them, BatchNorm2d its ReLU.
  PlanCache plans_{graph_, cpu_fusion_from_environment()};
  std::vector<float> arena_;  // activations
};

}  // namespace

std::unique_ptr<Runner> make_runner(Graph& graph, Device device, int cpu_threads) {
  switch (device) {
    case Device::cpu:
      return std::make_unique<CpuRunner>(graph, cpu_threads);
    case Device::cuda:
#ifdef FTCNN_WITH_CUDA
      return make_cuda_runner(graph);
#else
      FT_THROW("this build of ftcnn has no CUDA backend (nvcc was not found at build time)");
#endif
  }
  return nullptr;
}

}  // namespace ftcnn
