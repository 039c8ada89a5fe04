// Runs a Graph on one device: keeps a plan per batch size for its whole life (PlanCache), holds the device's
// copy of the parameter arena, and moves inputs and outputs between the host and the device.
#pragma once

#include <memory>
#include <vector>

#include "engine/device.hpp"
#include "engine/graph.hpp"

namespace ftcnn {

class Runner {
 public:
  virtual ~Runner() = default;
  virtual Device device() const = 0;
  // Classifies `batch` items: `input` is host memory [batch, C, H, W] (preprocessed), `output` host memory
  // [batch, outputs]. Plans again when the batch size changes.
  virtual void forward(const float* input, int64_t batch, float* output) = 0;
  // Runs on the device's own memory (host memory on the CPU): `input` [batch, C, H, W], `output`
  // [batch, outputs]; on CUDA asynchronously on the runner's stream. `hooks` and `start` as Graph::run's
  // (campaign checkpoints).
  virtual void forward_device(const float* input, int64_t batch, float* output,
                              const LayerHooks* hooks = nullptr, const RunStart* start = nullptr) = 0;
  // Makes the device's parameters equal the graph's host arena (after the host copy changed).
  virtual void sync_parameters() = 0;
  // A short description of the device ("cpu (2 threads)", "NVIDIA H200").
  virtual std::string description() const = 0;
  // The algorithm every plan so far chose ("<layer> <input shape>" -> name); empty on the CPU.
  virtual AlgorithmChoices algorithms() const { return {}; }
};

// cpu_threads <= 0 uses every hardware thread. Throws when the device is not available.
std::unique_ptr<Runner> make_runner(Graph& graph, Device device, int cpu_threads = 0);

}  // namespace ftcnn
