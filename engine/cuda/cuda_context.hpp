// Everything CUDA layers run with, owned in one place: the device, one stream, the cuBLAS and cuDNN handles
// bound to that stream (strict fp32: cuBLAS in CUBLAS_PEDANTIC_MATH, no TF32), and one shared cuDNN
// workspace that layers size during prepare. Passed down by reference; no globals.
//
// Opening a device fails in one line when no GPU can be used (the reason cuda_status() gives: no driver, a
// driver too old for the runtime, no device) or when this binary has no kernel image for the device's
// compute capability (naming its sm_XY, the compiled architectures and -DCMAKE_CUDA_ARCHITECTURES=XY).
#pragma once

#include <string>

#include "engine/cuda/cuda_check.hpp"
#include "engine/cuda/device_buffer.hpp"

namespace ftcnn {

class CudaContext {
 public:
  explicit CudaContext(int device = 0);
  ~CudaContext();
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_; }
  cudnnHandle_t cudnn() const { return cudnn_; }
  int device() const { return device_; }
  const std::string& device_name() const { return device_name_; }

  // Grows the shared workspace to at least `bytes` (called from prepare, never from forward).
  void reserve_workspace(size_t bytes);
  void* workspace() { return workspace_.data(); }
  size_t workspace_bytes() const { return workspace_.size(); }

  void synchronize() const;

 private:
  int device_ = 0;
  std::string device_name_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  DeviceBuffer<unsigned char> workspace_;
};

}  // namespace ftcnn
