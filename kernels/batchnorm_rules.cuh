// BatchNorm2d (eval) and ReLU, one element at a time, shared by the unfused kernels (kernels/elementwise.cu)
// and the correction kernels that run them fused (kernels/edac.cu), so that both give the same bits. Each
// function is the CPU body's expression (engine/layers/batchnorm2d.cpp, relu.cpp) operation for operation:
// the scale in double (IEEE division and square root) rounded once to float, the shift and the output in
// float with two roundings each (the library is compiled with --fmad=false, so no contraction into an FMA).
#pragma once

namespace ftcnn::kernels {

// scale = gamma / sqrt(var + eps), computed in double and rounded to float.
__device__ __forceinline__ float batchnorm_scale(float gamma, float var, double eps) {
  return static_cast<float>(static_cast<double>(gamma) / sqrt(static_cast<double>(var) + eps));
}

// shift = beta - mean * scale, in float.
__device__ __forceinline__ float batchnorm_shift(float beta, float mean, float scale) {
  return beta - mean * scale;
}

// y = x * scale + shift, in float.
__device__ __forceinline__ float batchnorm_apply(float x, float scale, float shift) {
  return x * scale + shift;
}

// y = max(x, 0); NaN compares false and is kept, and so is -0.
__device__ __forceinline__ float relu_apply(float x) {
  return x < 0.0f ? 0.0f : x;
}

}  // namespace ftcnn::kernels
