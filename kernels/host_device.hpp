// FT_KERNEL_HD marks the per-index bodies of the custom kernels (kernels/*_bodies.hpp): host-and-device
// inline functions under nvcc, plain inline functions under a host compiler, so that g++ includes the very
// code the kernels run (the CPU layers call some of it, the CPU tests all of it) without any CUDA header.
// The bodies use no std:: function (not callable from device code) and no CUDA intrinsic; NaN tests are
// written v != v, finiteness as a comparison with FLT_MAX, so both compilers see the same expressions.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define FT_KERNEL_HD __host__ __device__ __forceinline__
#else
#define FT_KERNEL_HD inline
#endif

namespace ftcnn::kernels {

constexpr float kFloatMax = 3.40282347e+38f;  // FLT_MAX, usable in device code

FT_KERNEL_HD int64_t min64(int64_t a, int64_t b) {
  return b < a ? b : a;
}

FT_KERNEL_HD int64_t max64(int64_t a, int64_t b) {
  return a < b ? b : a;
}

// Flat index i of an [outer, middle, inner] array as its three coordinates (the decomposition every kernel
// that walks planes or windows needs, one integer division per level).
struct Index3 {
  int64_t outer = 0, middle = 0, inner = 0;
};

FT_KERNEL_HD Index3 split_index(int64_t i, int64_t middle, int64_t inner) {
  Index3 c;
  const int64_t rest = i / inner;
  c.inner = i - rest * inner;
  c.outer = rest / middle;
  c.middle = rest - c.outer * middle;
  return c;
}

FT_KERNEL_HD bool is_nan(float v) {
  return v != v;  // only NaN compares unequal to itself
}

FT_KERNEL_HD bool is_finite(float v) {
  return v >= -kFloatMax && v <= kFloatMax;  // false for NaN and both infinities
}

}  // namespace ftcnn::kernels
