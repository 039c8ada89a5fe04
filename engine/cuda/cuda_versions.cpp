#include "engine/cuda/cuda_versions.hpp"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <fmt/format.h>

namespace ftcnn {

// CUDA encodes versions as 1000 * major + 10 * minor (13000 -> "13.0").
std::string cuda_version_text(int version) {
  if (version <= 0) return "";
  return fmt::format("{}.{}", version / 1000, (version % 1000) / 10);
}

namespace {

// cuDNN 9 encodes 10000 * major + 100 * minor + patch (91400 -> "9.14.0"); cuDNN 8 used 1000 * major.
std::string cudnn_version_text(size_t version) {
  if (version == 0) return "";
  if (version >= 90000)
    return fmt::format("{}.{}.{}", version / 10000, (version % 10000) / 100, version % 100);
  return fmt::format("{}.{}.{}", version / 1000, (version % 1000) / 100, version % 100);
}

}  // namespace

CudaVersions cuda_versions() {
  CudaVersions v;
  v.compiled = true;
  int version = 0;
  if (cudaDriverGetVersion(&version) == cudaSuccess) v.driver = cuda_version_text(version);
  version = 0;
  if (cudaRuntimeGetVersion(&version) == cudaSuccess) v.runtime = cuda_version_text(version);
  cudaGetLastError();  // neither query may leave a sticky error behind
  v.runtime_compiled = cuda_version_text(CUDART_VERSION);
  v.cudnn = cudnn_version_text(cudnnGetVersion());
  v.cudnn_compiled = fmt::format("{}.{}.{}", CUDNN_MAJOR, CUDNN_MINOR, CUDNN_PATCHLEVEL);
  // cublasGetProperty needs no handle (cublasGetVersion does), so this works before any context exists.
  int major = 0, minor = 0, patch = 0;
  if (cublasGetProperty(MAJOR_VERSION, &major) == CUBLAS_STATUS_SUCCESS &&
      cublasGetProperty(MINOR_VERSION, &minor) == CUBLAS_STATUS_SUCCESS &&
      cublasGetProperty(PATCH_LEVEL, &patch) == CUBLAS_STATUS_SUCCESS)
    v.cublas = fmt::format("{}.{}.{}", major, minor, patch);
  v.cublas_compiled = fmt::format("{}.{}.{}", CUBLAS_VER_MAJOR, CUBLAS_VER_MINOR, CUBLAS_VER_PATCH);
  return v;
}

}  // namespace ftcnn
