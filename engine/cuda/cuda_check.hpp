// Checking macros for every CUDA runtime, cuBLAS and cuDNN call, and after every kernel launch.
// Failures throw ftcnn::Error naming the call, the library's own message and the source location.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "engine/error.hpp"

namespace ftcnn {
const char* cublas_status_name(cublasStatus_t status);
}  // namespace ftcnn

#define FT_CUDA_CHECK(call)                                                                          \
  do {                                                                                               \
    const cudaError_t ft_status_ = (call);                                                           \
    if (ft_status_ != cudaSuccess) FT_THROW("{} failed: {}", #call, cudaGetErrorString(ft_status_)); \
  } while (0)

#define FT_CUBLAS_CHECK(call)                                                    \
  do {                                                                           \
    const cublasStatus_t ft_status_ = (call);                                    \
    if (ft_status_ != CUBLAS_STATUS_SUCCESS)                                     \
      FT_THROW("{} failed: {}", #call, ::ftcnn::cublas_status_name(ft_status_)); \
  } while (0)

#define FT_CUDNN_CHECK(call)                                             \
  do {                                                                   \
    const cudnnStatus_t ft_status_ = (call);                             \
    if (ft_status_ != CUDNN_STATUS_SUCCESS)                              \
      FT_THROW("{} failed: {}", #call, cudnnGetErrorString(ft_status_)); \
  } while (0)

// After a kernel launch: catches launch-configuration errors at once, naming what was launched.
#define FT_LAUNCH_CHECK(what)                                                    \
  do {                                                                           \
    const cudaError_t ft_status_ = cudaGetLastError();                           \
    if (ft_status_ != cudaSuccess)                                               \
      FT_THROW("launch of {} failed: {}", what, cudaGetErrorString(ft_status_)); \
  } while (0)
