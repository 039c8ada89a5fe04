// What `ftcnn bench` and `ftcnn bench-variants` share: timing summaries, the machine's description, and a
// PassTimer that classifies a whole image set once per call, timed on the device's own clock.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "engine/device.hpp"
#include "engine/graph.hpp"
#include "engine/io/cifar_dataset.hpp"
#include "engine/io/model_file.hpp"

namespace ftcnn::cli {

// Median, min and max of a set of timings (milliseconds); the median of an even count is the mean of the
// two middle values.
struct Timing {
  std::vector<double> runs;
  double median = 0, min = 0, max = 0;
};

Timing summarize_ms(std::vector<double> runs);
nlohmann::json timing_json(const Timing& t);

// "model name" of /proc/cpuinfo ("" where there is none).
std::string cpu_model();
// The SIMD extensions of the processor that decide which kernels the BLAS and DNN libraries run (avx2, fma,
// avx512f, avx512_vnni, avx512_bf16, amx_tile, ...), from /proc/cpuinfo's flags, in that order.
std::vector<std::string> cpu_isa();
// The 1-minute load average, -1 where unknown.
double load_average();
// The CUDA driver and library versions for a CUDA result, null otherwise.
nlohmann::json versions_json(Device device);

// Images in a last, smaller batch (0 when every batch is full or there is only one). Such a batch has its
// own plan (on CUDA its own cuDNN algorithm choices), made once on the first pass and kept.
int64_t tail_batch(int64_t images, int64_t batch);

// Classifies all images of a set with one graph: the inputs are preprocessed once and, on CUDA, uploaded
// once; each pass runs every batch into one logits buffer, with no transfers. CPU passes are timed on a
// steady clock, CUDA passes with events on the runner's stream.
class PassTimer {
 public:
  virtual ~PassTimer() = default;
  // Milliseconds for one pass over all images in batches of `batch`.
  virtual double pass_ms(int64_t batch) = 0;
  // Milliseconds each step of the plan took in one pass over all images in batches of `batch`, indexed by
  // layer: a step's time falls on its last layer (a fused step's absorbed layers get -1: no step ends
  // there). The same pass as pass_ms with a hook after every step: on the CPU a steady-clock reading, on CUDA
  // an event on the stream (nothing waits between steps).
  virtual std::vector<double> step_ms(int64_t batch) = 0;
  // The logits of the latest pass, [images, classes], on the host.
  virtual std::vector<float> logits() = 0;
  virtual std::string description() const = 0;
  // The convolution algorithm of every plan so far (CUDA; empty on the CPU).
  virtual AlgorithmChoices algorithms() const = 0;
};

std::unique_ptr<PassTimer> make_pass_timer(Graph& graph, const Dataset& data, const Preprocessing& pre,
                                           Device device, int cpu_threads);

}  // namespace ftcnn::cli
