#include "engine/cuda/cuda_context.hpp"

namespace ftcnn {

const char* cublas_status_name(cublasStatus_t status) {
  return cublasGetStatusName(status);
}

CudaContext::CudaContext(int device) : device_(device) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    FT_THROW("--device cuda: no CUDA device is available on this machine");
  }
  FT_CHECK(device < count, "CUDA device {} requested but only {} present", device, count);
  FT_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp props{};
  FT_CUDA_CHECK(cudaGetDeviceProperties(&props, device));
  device_name_ = props.name;
  FT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  FT_CUBLAS_CHECK(cublasCreate(&cublas_));
  FT_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
  // Strict IEEE fp32: CUBLAS_DEFAULT_MATH never uses TF32 for sgemm (only CUBLAS_TF32_TENSOR_OP_MATH does).
  // Set explicitly so that a changed library default cannot change our arithmetic.
  FT_CUBLAS_CHECK(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH));
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
