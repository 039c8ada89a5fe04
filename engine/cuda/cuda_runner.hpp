// The CUDA Runner: parameters, activations and inputs in device memory, every layer on one stream.
#pragma once

#include <memory>

#include "engine/runner.hpp"

namespace ftcnn {

class CudaContext;

// A Runner whose device pointers are reachable, for work that keeps data on the GPU (campaigns).
class CudaRunner : public Runner {
 public:
  Device device() const override { return Device::cuda; }
  virtual CudaContext& context() = 0;
  // Device copy of the graph's parameter arena (same offsets as the host arena).
  virtual float* device_parameters() = 0;
  // Runs on device memory: `input` [batch, C, H, W] and `output` [batch, outputs], asynchronously on the
  // context's stream.
  virtual void forward_device(const float* input, int64_t batch, float* output) = 0;
};

std::unique_ptr<CudaRunner> make_cuda_runner(Graph& graph, int device = 0);

}  // namespace ftcnn
