// The kernel-image probe: cudaFuncGetAttributes on an empty kernel loads that kernel's module for the current
// device, which fails with cudaErrorNoKernelImageForDevice (older runtimes: cudaErrorInvalidDeviceFunction)
// when the fat binary holds neither SASS for the device's compute capability nor PTX the driver can JIT,
// and with cudaErrorUnsupportedPtxVersion when it holds only PTX newer than the driver understands. The
// error is not sticky: it is cleared here, so the next check does not blame the wrong call.
#include "engine/cuda/kernel_image.hpp"

#include <cuda_runtime_api.h>

#include "engine/cuda/cuda_check.hpp"

namespace ftcnn {
namespace {

__global__ void kernel_image_probe(int* flag) {
  if (flag != nullptr) *flag = 1;
}

}  // namespace

std::string kernel_image_problem(int device, const std::string& architectures) {
  cudaFuncAttributes attributes{};
  const cudaError_t status = cudaFuncGetAttributes(&attributes, kernel_image_probe);
  if (status == cudaSuccess) return "";
  cudaGetLastError();
  if (status != cudaErrorNoKernelImageForDevice && status != cudaErrorInvalidDeviceFunction &&
      status != cudaErrorUnsupportedPtxVersion) {
    FT_THROW("cudaFuncGetAttributes (kernel image probe) on CUDA device {} failed: {}", device,
             cudaGetErrorString(status));
  }
  cudaDeviceProp props{};
  std::string name = "?";
  int major = 0, minor = 0;
  if (cudaGetDeviceProperties(&props, device) == cudaSuccess) {
    name = props.name;
    major = props.major;
    minor = props.minor;
  }
  cudaGetLastError();
  const std::string sm = fmt::format("{}{}", major, minor);
  if (status == cudaErrorUnsupportedPtxVersion) {
    return fmt::format(
        "CUDA device {} ({}, sm_{}): this build of ftcnn has no sm_{} machine code (CUDA architectures {}) "
        "and "
        "its PTX is newer than the driver can compile ({}); update the driver or rebuild with "
        "-DCMAKE_CUDA_ARCHITECTURES={}",
        device, name, sm, sm, architectures, cudaGetErrorString(status), sm);
  }
  return fmt::format(
      "CUDA device {} ({}, sm_{}): this build of ftcnn has no kernel image for it (CUDA architectures {}); "
      "rebuild with -DCMAKE_CUDA_ARCHITECTURES={}",
      device, name, sm, architectures, sm);
}

}  // namespace ftcnn
