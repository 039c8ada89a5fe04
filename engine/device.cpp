#include "engine/device.hpp"

#include "engine/error.hpp"

#ifdef FTCNN_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

namespace ftcnn {

const char* device_name(Device device) {
  switch (device) {
    case Device::cpu:
      return "cpu";
    case Device::cuda:
      return "cuda";
  }
  return "?";
}

Device parse_device(const std::string& text) {
  if (text == "cpu") return Device::cpu;
  if (text == "cuda") return Device::cuda;
  FT_THROW("unknown device '{}' (expected cpu or cuda)", text);
}

bool cuda_compiled() {
#ifdef FTCNN_WITH_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_device_count() {
#ifdef FTCNN_WITH_CUDA
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error so later calls start clean
    return 0;
  }
  return count;
#else
  return 0;
#endif
}

}  // namespace ftcnn
