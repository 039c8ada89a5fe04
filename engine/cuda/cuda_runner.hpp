// The CUDA Runner: parameters, activations and inputs in device memory, every layer on one stream.
#pragma once

#include <memory>

#include "engine/runner.hpp"

namespace ftcnn {

class CudaContext;

struct CudaRunnerOptions {
  // Fuse each correction layer (edac, tmr_vote) with the BatchNorm2d and/or ReLU directly after it into one
  // kernel (Graph::prepare's fusion pass, docs/hardening.md). The results are the same bits either way; off,
  // every layer runs its own kernel (for timing fused against unfused).
  bool fuse = true;
  // Wait for every layer and check for CUDA errors after it, naming the layer (FTCNN_CUDA_SYNC=1): slow, for
  // finding which layer a GPU error comes from.
  bool sync_each_layer = false;
  // Conv2d algorithms to use instead of choosing them (a resumed campaign's, from its log).
  AlgorithmChoices pinned_algorithms;
  // A hardened conv2d / linear computes originals and copies in one GEMM instead of one same-shape GEMM per
  // copy set (FTCNN_CUDA_SINGLE_GEMM=1; engine/layers/copy_groups.cuh says why the default is safer).
  bool single_gemm_copies = false;

  // The defaults, with `fuse` off when the environment variable FTCNN_CUDA_FUSE is "0" ("1" or unset: on),
  // `sync_each_layer` on when FTCNN_CUDA_SYNC is "1" and `single_gemm_copies` on when FTCNN_CUDA_SINGLE_GEMM
  // is "1" ("0" or unset: off); any other value throws naming the variable.
  static CudaRunnerOptions from_environment();
};

// A Runner whose device pointers are reachable, for work that keeps data on the GPU (campaigns).
class CudaRunner : public Runner {
 public:
  Device device() const override { return Device::cuda; }
  virtual CudaContext& context() = 0;
  virtual const CudaRunnerOptions& options() const = 0;
  // Device copy of the graph's parameter arena (same offsets as the host arena).
  virtual float* device_parameters() = 0;
};

// Options from the environment (CudaRunnerOptions::from_environment), algorithms pinned as given.
std::unique_ptr<CudaRunner> make_cuda_runner(Graph& graph, int device = 0,
                                             const AlgorithmChoices& pinned_algorithms = {});
std::unique_ptr<CudaRunner> make_cuda_runner(Graph& graph, int device, const CudaRunnerOptions& options);

}  // namespace ftcnn
