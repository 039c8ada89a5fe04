#include "engine/cuda/cuda_runner.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

#include "engine/cuda/cuda_context.hpp"
#include "engine/error.hpp"

namespace ftcnn {
namespace {

class CudaRunnerImpl final : public CudaRunner {
 public:
  CudaRunnerImpl(Graph& graph, int device, const CudaRunnerOptions& options)
      : graph_(graph), options_(options), cuda_(device) {
    ctx_.device = Device::cuda;
    ctx_.cuda = &cuda_;
    sync_parameters();
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

  void forward_device(const float* input, int64_t batch, float* output) override {
    plan(batch);
    float* const buffers[2] = {activations_[0].data(), activations_[1].data()};
    graph_.run(ctx_, ParameterView(graph_.parameters(), parameters_.data()), shapes_, input, buffers, output);
  }

  void forward(const float* input, int64_t batch, float* output) override {
    plan(batch);
    const size_t in_count = static_cast<size_t>(graph_.input_shape(batch).numel());
    const size_t out_count = static_cast<size_t>(shapes_.back().numel());
    input_.resize(in_count);
    output_.resize(out_count);
    FT_CUDA_CHECK(cudaMemcpyAsync(input_.data(), input, in_count * sizeof(float), cudaMemcpyHostToDevice,
                                  cuda_.stream()));
    forward_device(input_.data(), batch, output_.data());
    FT_CUDA_CHECK(cudaMemcpyAsync(output, output_.data(), out_count * sizeof(float), cudaMemcpyDeviceToHost,
                                  cuda_.stream()));
    cuda_.synchronize();
  }

 private:
  void plan(int64_t batch) {
    if (graph_.prepared_for(id_, batch)) return;
    shapes_ = graph_.prepare(ctx_, batch, id_, options_.fuse);
    const size_t size = static_cast<size_t>(max_activation(shapes_));
    for (auto& b : activations_) b.resize(size);
  }

  Graph& graph_;
  CudaRunnerOptions options_;
  int64_t id_ = graph_.new_runner_id();
  CudaContext cuda_;
  ExecContext ctx_;
  DeviceBuffer<float> parameters_;
  DeviceBuffer<float> activations_[2];
  DeviceBuffer<float> input_, output_;
  std::vector<Shape> shapes_;
};

}  // namespace

CudaRunnerOptions CudaRunnerOptions::from_environment() {
  CudaRunnerOptions options;
  const char* fuse = std::getenv("FTCNN_CUDA_FUSE");
  if (fuse != nullptr && *fuse != '\0') {
    FT_CHECK(std::strcmp(fuse, "0") == 0 || std::strcmp(fuse, "1") == 0,
             "environment variable FTCNN_CUDA_FUSE is '{}'; expected 0 (no layer fusion) or 1", fuse);
    options.fuse = std::strcmp(fuse, "1") == 0;
  }
  return options;
}

std::unique_ptr<CudaRunner> make_cuda_runner(Graph& graph, int device) {
  return make_cuda_runner(graph, device, CudaRunnerOptions::from_environment());
}

std::unique_ptr<CudaRunner> make_cuda_runner(Graph& graph, int device, const CudaRunnerOptions& options) {
  return std::make_unique<CudaRunnerImpl>(graph, device, options);
}

}  // namespace ftcnn
