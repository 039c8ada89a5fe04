#include "engine/cuda/cuda_context.hpp"

#include "engine/cuda/kernel_image.hpp"
#include "engine/device.hpp"

namespace ftcnn {

const char* cublas_status_name(cublasStatus_t status) {
  return cublasGetStatusName(status);
}

CudaContext::CudaContext(int device) : device_(device) {
  // The same one-line explanation as `ftcnn devices`: no driver, a driver too old for this runtime (with
  // both versions), or no device.
  const CudaStatus status = cuda_status();
  if (status.count == 0) FT_THROW("{}", status.reason());
  FT_CHECK(device >= 0 && device < status.count, "CUDA device {} requested but only {} present", device,
           status.count);
  FT_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp props{};
  FT_CUDA_CHECK(cudaGetDeviceProperties(&props, device));
  device_name_ = props.name;
  // Before anything runs: a binary without code for this GPU would otherwise fail at its first kernel
  // launch, deep inside a layer, with "no kernel image is available for execution on the device".
  const std::string problem = kernel_image_problem(device, cuda_compiled_architectures());
  if (!problem.empty()) FT_THROW("{}", problem);
  FT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  FT_CUBLAS_CHECK(cublasCreate(&cublas_));
  FT_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
  // Strict IEEE fp32: CUBLAS_PEDANTIC_MATH is the CUBLAS_COMPUTE_32F_PEDANTIC compute type (cublas_api.h:
  // "standard arithmetic and exact specified internal storage format"). It rules out TF32 tensor cores and
  // the reduced-precision emulation paths of cuBLAS 13 (BF16x9 emulation of fp32, which a math-mode bit or
  // an environment setting can otherwise switch on), whatever the library's default becomes. For plain
  // sgemm, CUBLAS_DEFAULT_MATH already runs fp32 FMA, so pedantic should cost nothing there (not yet
  // measured on a GPU). Set explicitly so that a changed default cannot change our arithmetic.
  FT_CUBLAS_CHECK(cublasSetMathMode(cublas_, CUBLAS_PEDANTIC_MATH));
  FT_CUDNN_CHECK(cudnnCreate(&cudnn_));
  FT_CUDNN_CHECK(cudnnSetStream(cudnn_, stream_));
}

CudaContext::~CudaContext() {
  if (cudnn_ != nullptr && cudnnDestroy(cudnn_) != CUDNN_STATUS_SUCCESS) {
    report_in_destructor(__FILE__, __LINE__, "cudnnDestroy failed");
  }
  if (cublas_ != nullptr && cublasDestroy(cublas_) != CUBLAS_STATUS_SUCCESS) {
    report_in_destructor(__FILE__, __LINE__, "cublasDestroy failed");
  }
  if (stream_ != nullptr && cudaStreamDestroy(stream_) != cudaSuccess) {
    report_in_destructor(__FILE__, __LINE__, "cudaStreamDestroy failed");
  }
}

void CudaContext::reserve_workspace(size_t bytes) {
  workspace_.resize(bytes);
}

void CudaContext::synchronize() const {
  FT_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

}  // namespace ftcnn
