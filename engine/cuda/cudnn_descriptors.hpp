// Move-only RAII owners of the cuDNN descriptors ftcnn uses: created and set in the constructor (throwing
// through FT_CUDNN_CHECK, after which nothing leaks), destroyed in the destructor, which never throws.
// Sizes are checked against cuDNN's 32-bit legacy API first. Used by the conv2d forward plans and the
// CUDA reverse pass alike.
#pragma once

#include <cstdint>
#include <utility>

#include "engine/cuda/cuda_check.hpp"
#include "engine/tensor.hpp"

namespace ftcnn {

// The value as an int, or throws: cuDNN's legacy API (and cuBLAS) take 32-bit sizes.
int cudnn_int(int64_t value);

template <typename Handle, cudnnStatus_t (*Destroy)(Handle)>
class CudnnDescriptor {
 public:
  CudnnDescriptor() = default;
  ~CudnnDescriptor() {
    if (handle_ != nullptr && Destroy(handle_) != CUDNN_STATUS_SUCCESS) {
      report_in_destructor(__FILE__, __LINE__, "destroying a cuDNN descriptor failed");
    }
  }
  CudnnDescriptor(const CudnnDescriptor&) = delete;
  CudnnDescriptor& operator=(const CudnnDescriptor&) = delete;
  CudnnDescriptor(CudnnDescriptor&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  CudnnDescriptor& operator=(CudnnDescriptor&& other) noexcept {
    std::swap(handle_, other.handle_);
    return *this;
  }
  Handle get() const { return handle_; }

 protected:
  Handle handle_ = nullptr;
};

// A float32 NCHW tensor [n, c, h, w].
class TensorDescriptor : public CudnnDescriptor<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor> {
 public:
  TensorDescriptor(int64_t n, int64_t c, int64_t h, int64_t w);
  explicit TensorDescriptor(const Shape& nchw) : TensorDescriptor(nchw[0], nchw[1], nchw[2], nchw[3]) {}
};

// A float32 NCHW filter [out, in, kh, kw].
class FilterDescriptor : public CudnnDescriptor<cudnnFilterDescriptor_t, cudnnDestroyFilterDescriptor> {
 public:
  FilterDescriptor(int64_t out, int64_t in, int64_t kh, int64_t kw);
};

// nn.Conv2d's arithmetic: cross-correlation, float accumulation, no dilation, no groups, and plain fp32 FMA
// math (CUDNN_FMA_MATH: no TF32 tensor cores, which CUDNN_DEFAULT_MATH allows on Ampere and later).
class ConvolutionDescriptor
    : public CudnnDescriptor<cudnnConvolutionDescriptor_t, cudnnDestroyConvolutionDescriptor> {
 public:
  ConvolutionDescriptor(int64_t pad_h, int64_t pad_w, int64_t stride_h, int64_t stride_w, int64_t groups = 1);
};

}  // namespace ftcnn
