// The correction rules of the hardening layers, one element at a time, shared by the CPU bodies
// (engine/layers/edac.cpp, tmr_vote.cpp) and the CUDA kernels (kernels/edac.cu) so that both devices apply
// the very same decisions. Plain floats only; docs/hardening.md has the tables these functions implement.
//
// Every rule first turns NaN into 0 (the paper's NaN scrub, in every channel). "Inside" means finite and
// within [lower, upper]: an Inf is always outside, even when a faulty bound has become infinite, and a NaN
// bound (or lower > upper) leaves nothing inside, so the channel is zeroed.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define FT_EDAC_HD __host__ __device__ __forceinline__
#else
#define FT_EDAC_HD inline
#endif

namespace ftcnn::kernels {

constexpr float kEdacFloatMax = 3.40282347e+38f;  // FLT_MAX, usable in device code

FT_EDAC_HD float edac_scrub(float v) {
  return v != v ? 0.0f : v;  // only NaN compares unequal to itself
}

FT_EDAC_HD bool edac_inside(float v, float lower, float upper) {
  return v >= -kEdacFloatMax && v <= kEdacFloatMax && v >= lower && v <= upper;
}

// The smaller of two values that are not NaN (the scrub ran first); a tie keeps `a`.
FT_EDAC_HD float edac_min(float a, float b) {
  return b < a ? b : a;
}

// edac mode, a channel without a copy: the value if inside, else 0 (the paper's case E).
FT_EDAC_HD float edac_single(float a, float lower, float upper) {
  a = edac_scrub(a);
  return edac_inside(a, lower, upper) ? a : 0.0f;
}

// edac mode, a duplicated channel: original `a`, copy `b`.
//   both inside: a == b -> a, else min(a, b); exactly one inside: that one; neither: 0.
FT_EDAC_HD float edac_pair(float a, float b, float lower, float upper) {
  a = edac_scrub(a);
  b = edac_scrub(b);
  const bool a_in = edac_inside(a, lower, upper), b_in = edac_inside(b, lower, upper);
  if (a_in && b_in) return a == b ? a : edac_min(a, b);
  if (a_in) return a;
  if (b_in) return b;
  return 0.0f;
}

// dup-only mode (no intervals), a duplicated channel: a == b -> a, else min(a, b). A channel without a copy
// only gets the scrub.
FT_EDAC_HD float dup_only_pair(float a, float b) {
  a = edac_scrub(a);
  b = edac_scrub(b);
  return a == b ? a : edac_min(a, b);
}

FT_EDAC_HD uint32_t edac_bits(float v) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(v);
#else
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
#endif
}

// Triple modular redundancy: the value two of the three copies agree on bit for bit, else the minimum.
FT_EDAC_HD float tmr_vote3(float a, float b, float c) {
  a = edac_scrub(a);
  b = edac_scrub(b);
  c = edac_scrub(c);
  const uint32_t ba = edac_bits(a), bb = edac_bits(b), bc = edac_bits(c);
  if (ba == bb || ba == bc) return a;
  if (bb == bc) return b;
  return edac_min(edac_min(a, b), c);
}

}  // namespace ftcnn::kernels
