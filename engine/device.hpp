// Where a model runs, and what this build and machine offer.
//
// cuda_status() is the one place that asks the CUDA runtime whether a GPU can be used, and says why not in
// one line: no CUDA backend in this build, no NVIDIA driver, a driver too old for the runtime (CUDA 13 needs
// driver 580 or newer), no device, or a device this binary has no kernels for. `ftcnn devices`, CudaContext
// and the test suite's GPU skip all report that same line. Never throws; callable in a CPU-only build.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ftcnn {

enum class Device { cpu, cuda };

const char* device_name(Device device);
// Throws naming the text when it is neither "cpu" nor "cuda".
Device parse_device(const std::string& text);

// True when this build contains the CUDA backend.
bool cuda_compiled();
// The CUDA architectures this build was compiled for, as CMake's list ("86-real;90"); "" in a CPU-only build.
std::string cuda_compiled_architectures();

struct CudaDeviceInfo {
  int index = 0;
  std::string name;          // "NVIDIA H200"
  int major = 0, minor = 0;  // compute capability: sm_90 is 9, 0
  size_t memory_bytes = 0;
  // Empty when this binary has a kernel image the device can run (only filled when probed); else one line
  // naming the device, its sm_XY, the compiled architectures and the -DCMAKE_CUDA_ARCHITECTURES fix.
  std::string kernel_image_problem;
};

struct CudaStatus {
  bool compiled = false;      // this build contains the CUDA backend
  int count = 0;              // devices cudaGetDeviceCount reports; 0 when the query failed
  bool no_device = false;     // the query answered cudaErrorNoDevice: a driver, but no GPU
  std::string error;          // the CUDA error string when the query failed otherwise ("" when it worked)
  std::string driver;         // newest CUDA the driver supports, "12.4"; "" when no driver was found
  std::string runtime;        // CUDA runtime loaded, "13.0"
  std::string architectures;  // cuda_compiled_architectures()
  std::vector<CudaDeviceInfo> devices;  // filled when asked for (cuda_status(true))

  // One line saying why no GPU can be used: "" when count > 0. "this build of ftcnn has no CUDA backend",
  // "no CUDA device", "no NVIDIA driver on this machine (...)", or "CUDA error: <error> (driver supports
  // CUDA 12.4, runtime 13.0; CUDA 13 needs driver 580 or newer)".
  std::string reason() const;
};

// Asks the runtime; with `describe_devices`, also names every device and probes whether this binary has a
// kernel image for it (which creates a CUDA context on each: a fraction of a second per device).
CudaStatus cuda_status(bool describe_devices = false);

// Number of usable CUDA devices; 0 in a CPU-only build, on a machine without a GPU, or when the runtime
// cannot be used (cuda_status().reason() says why). Never throws.
int cuda_device_count();

}  // namespace ftcnn
