// Versions of the CUDA stack a result was measured with: the driver, the CUDA runtime, cuDNN and cuBLAS,
// both as loaded at run time and as compiled against. Benchmarks record them beside every timing.
//
// This header includes no CUDA header, so CPU-only builds can call cuda_versions(): there it reports that
// the build has no CUDA backend, and every version string is empty.
#pragma once

#include <string>

namespace ftcnn {

struct CudaVersions {
  bool compiled = false;         // this build contains the CUDA backend
  std::string driver;            // "13.0" (the newest CUDA the driver supports); "" without a driver
  std::string runtime;           // CUDA runtime loaded, "13.0"
  std::string runtime_compiled;  // CUDA runtime headers at build time
  std::string cudnn;             // cuDNN loaded, "9.14.0"
  std::string cudnn_compiled;    // cuDNN headers at build time
  std::string cublas;            // cuBLAS loaded, "13.1.0"
  std::string cublas_compiled;   // cuBLAS headers at build time
};

#ifdef FTCNN_WITH_CUDA
// Never throws: a query that fails leaves its field empty.
CudaVersions cuda_versions();
// CUDA's version encoding, 1000 * major + 10 * minor, as text: 13000 -> "13.0"; "" for 0 (no driver).
std::string cuda_version_text(int version);
#else
inline CudaVersions cuda_versions() {
  return CudaVersions{};
}
#endif

}  // namespace ftcnn
