#include "engine/cuda/cudnn_descriptors.hpp"

#include <limits>

namespace ftcnn {

int cudnn_int(int64_t value) {
  FT_CHECK(value >= 0 && value <= std::numeric_limits<int>::max(),
           "size {} exceeds the 32-bit sizes of cuDNN / cuBLAS", value);
  return static_cast<int>(value);
}

TensorDescriptor::TensorDescriptor(int64_t n, int64_t c, int64_t h, int64_t w) {
  // The legacy API indexes with 32-bit strides: the whole tensor must fit.
  cudnn_int(n * c * h * w);
  FT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&handle_));
  FT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(handle_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, cudnn_int(n),
                                            cudnn_int(c), cudnn_int(h), cudnn_int(w)));
}

FilterDescriptor::FilterDescriptor(int64_t out, int64_t in, int64_t kh, int64_t kw) {
  FT_CUDNN_CHECK(cudnnCreateFilterDescriptor(&handle_));
  FT_CUDNN_CHECK(cudnnSetFilter4dDescriptor(handle_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, cudnn_int(out),
                                            cudnn_int(in), cudnn_int(kh), cudnn_int(kw)));
}

ConvolutionDescriptor::ConvolutionDescriptor(int64_t pad_h, int64_t pad_w, int64_t stride_h, int64_t stride_w,
                                             int64_t groups) {
  FT_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&handle_));
  FT_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(handle_, cudnn_int(pad_h), cudnn_int(pad_w),
                                                 cudnn_int(stride_h), cudnn_int(stride_w), 1, 1,
                                                 CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  FT_CUDNN_CHECK(cudnnSetConvolutionMathType(handle_, CUDNN_FMA_MATH));
  if (groups != 1) FT_CUDNN_CHECK(cudnnSetConvolutionGroupCount(handle_, cudnn_int(groups)));
}

}  // namespace ftcnn
