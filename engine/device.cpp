#include "engine/device.hpp"

#include <fmt/format.h>

#include "engine/enum_names.hpp"
#include "engine/error.hpp"

#ifdef FTCNN_WITH_CUDA
#include <cuda_runtime_api.h>

#include "engine/cuda/cuda_versions.hpp"
#include "engine/cuda/kernel_image.hpp"
#endif

namespace ftcnn {

namespace {

constexpr EnumName<Device> kDevices[] = {{Device::cpu, "cpu"}, {Device::cuda, "cuda"}};

}  // namespace

const char* device_name(Device device) {
  return enum_name(kDevices, device);
}

Device parse_device(const std::string& text) {
  return enum_from_name(kDevices, text, "device");
}

bool cuda_compiled() {
#ifdef FTCNN_WITH_CUDA
  return true;
#else
  return false;
#endif
}

std::string cuda_compiled_architectures() {
#if defined(FTCNN_WITH_CUDA) && defined(FTCNN_CUDA_ARCHITECTURES)
  // CMake passes the list space-separated (a ';' would split the definition); shown as CMake writes it.
  std::string text = FTCNN_CUDA_ARCHITECTURES;
  for (char& c : text)
    if (c == ' ') c = ';';
  return text;
#else
  return "";
#endif
}

namespace {

// The oldest Linux driver that supports a CUDA major version (NVIDIA's CUDA toolkit release notes, table 3).
int minimum_driver(int cuda_major) {
  if (cuda_major >= 13) return 580;
  if (cuda_major == 12) return 525;
  if (cuda_major == 11) return 450;
  return 0;
}

int major_of(const std::string& version) {
  return version.empty() ? 0 : std::stoi(version);
}

}  // namespace

std::string CudaStatus::reason() const {
  if (!compiled) return "this build of ftcnn has no CUDA backend";
  if (error.empty()) return count > 0 ? "" : "no CUDA device";
  if (driver.empty()) {
    // cudaDriverGetVersion answers 0 when libcuda.so.1 cannot be loaded: no NVIDIA driver at all.
    return fmt::format("no NVIDIA driver on this machine (CUDA error: {}; runtime {})", error, runtime);
  }
  std::string versions = fmt::format("driver supports CUDA {}, runtime {}", driver, runtime);
  const int runtime_major = major_of(runtime);
  if (major_of(driver) < runtime_major && minimum_driver(runtime_major) > 0)
    versions +=
        fmt::format("; CUDA {} needs driver {} or newer", runtime_major, minimum_driver(runtime_major));
  return fmt::format("CUDA error: {} ({})", error, versions);
}

CudaStatus cuda_status(bool describe_devices) {
  CudaStatus status;
#ifdef FTCNN_WITH_CUDA
  status.compiled = true;
  status.architectures = cuda_compiled_architectures();
  int version = 0;
  if (cudaDriverGetVersion(&version) == cudaSuccess) status.driver = cuda_version_text(version);
  version = 0;
  if (cudaRuntimeGetVersion(&version) == cudaSuccess) status.runtime = cuda_version_text(version);
  int count = 0;
  const cudaError_t query = cudaGetDeviceCount(&count);
  cudaGetLastError();  // clear the error so that later calls start clean
  if (query == cudaErrorNoDevice) {
    status.no_device = true;
  } else if (query != cudaSuccess) {
    status.error = cudaGetErrorString(query);
  } else {
    status.count = count;
  }
  if (!describe_devices) return status;
  int current = 0;
  const bool had_current = cudaGetDevice(&current) == cudaSuccess;
  for (int i = 0; i < status.count; ++i) {
    CudaDeviceInfo info;
    info.index = i;
    cudaDeviceProp props{};
    if (cudaGetDeviceProperties(&props, i) == cudaSuccess) {
      info.name = props.name;
      info.major = props.major;
      info.minor = props.minor;
      info.memory_bytes = props.totalGlobalMem;
    }
    const cudaError_t set = cudaSetDevice(i);
    if (set != cudaSuccess) {
      info.kernel_image_problem = fmt::format("cudaSetDevice({}) failed: {}", i, cudaGetErrorString(set));
    } else {
      try {
        info.kernel_image_problem = kernel_image_problem(i, status.architectures);
      } catch (const Error& e) {
        info.kernel_image_problem = e.what();
      }
    }
    cudaGetLastError();
    status.devices.push_back(info);
  }
  if (had_current) cudaSetDevice(current);
  cudaGetLastError();
#else
  (void)describe_devices;
#endif
  return status;
}

int cuda_device_count() {
  return cuda_status().count;
}

}  // namespace ftcnn
