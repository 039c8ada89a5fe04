#include "engine/cuda/cuda_runner.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

#include "engine/cuda/cuda_context.hpp"
#include "engine/error.hpp"

namespace ftcnn {
namespace {

// The value of a 0/1 environment variable, `fallback` when unset or empty; throws naming it otherwise.
bool flag_from_environment(const char* name, bool fallback, const char* meaning) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  FT_CHECK(std::strcmp(value, "0") == 0 || std::strcmp(value, "1") == 0,
           "environment variable {} is '{}'; expected 0 or 1 ({})", name, value, meaning);
  return std::strcmp(value, "1") == 0;
}

class CudaRunnerImpl final : public CudaRunner {
 public:
  CudaRunnerImpl(Graph& graph, int device, const CudaRunnerOptions& options)
      : graph_(graph), options_(options), cuda_(device), plans_(graph, options.fuse) {
    ctx_.device = Device::cuda;
    ctx_.cuda = &cuda_;
    ctx_.pinned_algorithms = &options_.pinned_algorithms;
    ctx_.single_gemm_copies = options_.single_gemm_copies;
    if (options_.sync_each_layer) {
      ctx_.check_after_layer = [this](const Layer& layer) {
        const cudaError_t status = cudaStreamSynchronize(cuda_.stream());
        const cudaError_t last = cudaGetLastError();
        const cudaError_t error = status != cudaSuccess ? status : last;
        if (error != cudaSuccess) {
          FT_THROW("layer {} ({}): CUDA error after the layer (FTCNN_CUDA_SYNC=1): {}", layer.name(),
                   layer_type_name(layer.type()), cudaGetErrorString(error));
        }
      };
    }
    sync_parameters();
  }

  AlgorithmChoices algorithms() const override {
    AlgorithmChoices choices = plans_.algorithms();
    // The one-GEMM copy scheme computes other bits than the default: a log must say which one ran, so that
    // a resume under the other one is refused.
    if (options_.single_gemm_copies)
      choices["hardened layers"] =
          "copies in one GEMM (FTCNN_CUDA_SINGLE_GEMM=1; grouped convolutions: runs)";
    return choices;
  }

  std::string description() const override { return cuda_.device_name(); }
  CudaContext& context() override { return cuda_; }
  const CudaRunnerOptions& options() const override { return options_; }
  float* device_parameters() override { return parameters_.data(); }

  void sync_parameters() override {
    const std::vector<float>& arena = graph_.parameters().arena();
    parameters_.resize(arena.size());
    FT_CUDA_CHECK(cudaMemcpyAsync(parameters_.data(), arena.data(), arena.size() * sizeof(float),
                                  cudaMemcpyHostToDevice, cuda_.stream()));
    cuda_.synchronize();
  }

  void forward_device(const float* input, int64_t batch, float* output, const LayerHooks* hooks,
                      const RunStart* start) override {
    const GraphPlan& plan = plan_for(batch);
    graph_.run(ctx_, plan, ParameterView(graph_.parameters(), parameters_.data()), input, activations_.data(),
               output, hooks, start);
  }

  void forward(const float* input, int64_t batch, float* output) override {
    const GraphPlan& plan = plan_for(batch);
    const size_t in_count = static_cast<size_t>(graph_.input_shape(batch).numel());
    const size_t out_count = static_cast<size_t>(plan.shapes.back().numel());
    input_.resize(in_count);
    output_.resize(out_count);
    FT_CUDA_CHECK(cudaMemcpyAsync(input_.data(), input, in_count * sizeof(float), cudaMemcpyHostToDevice,
                                  cuda_.stream()));
    forward_device(input_.data(), batch, output_.data(), nullptr, nullptr);
    FT_CUDA_CHECK(cudaMemcpyAsync(output, output_.data(), out_count * sizeof(float), cudaMemcpyDeviceToHost,
                                  cuda_.stream()));
    cuda_.synchronize();
  }

 private:
  // The plan for `batch` (made once), with an activation arena large enough for every plan so far. Growing
  // it frees the old one with cudaFree, which waits for the device: no kernel still reads it.
  const GraphPlan& plan_for(int64_t batch) {
    const GraphPlan& plan = plans_.get(ctx_, batch);
    activations_.resize(static_cast<size_t>(plans_.arena_floats()));
    return plan;
  }

  Graph& graph_;
  CudaRunnerOptions options_;
  CudaContext cuda_;
  ExecContext ctx_;
  PlanCache plans_;
  DeviceBuffer<float> parameters_;
  DeviceBuffer<float> activations_;  // the arena
  DeviceBuffer<float> input_, output_;
};

}  // namespace

CudaRunnerOptions CudaRunnerOptions::from_environment() {
  CudaRunnerOptions options;
  options.fuse =
      flag_from_environment("FTCNN_CUDA_FUSE", true, "1: fuse correction layers with what follows");
  options.sync_each_layer =
      flag_from_environment("FTCNN_CUDA_SYNC", false, "1: wait and check for errors after every layer");
  options.single_gemm_copies = flag_from_environment(
      "FTCNN_CUDA_SINGLE_GEMM", false, "1: hardened layers compute their copies in the originals' GEMM");
  return options;
}

std::unique_ptr<CudaRunner> make_cuda_runner(Graph& graph, int device,
                                             const AlgorithmChoices& pinned_algorithms) {
  CudaRunnerOptions options = CudaRunnerOptions::from_environment();
  options.pinned_algorithms = pinned_algorithms;
  return make_cuda_runner(graph, device, options);
}

std::unique_ptr<CudaRunner> make_cuda_runner(Graph& graph, int device, const CudaRunnerOptions& options) {
  return std::make_unique<CudaRunnerImpl>(graph, device, options);
}

}  // namespace ftcnn
