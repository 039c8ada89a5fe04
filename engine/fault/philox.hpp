// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a counter-based
// generator. The same (counter, key) gives the same four words on the host and on the device, in any order
// and on any number of threads or processes, which is what makes a repetition's fault set reproducible
// everywhere. Header-only and usable from CUDA kernels.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define FT_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define FT_HOST_DEVICE inline
#endif

namespace ftcnn {

struct PhiloxCounter {
  uint32_t word[4];
};

struct PhiloxKey {
  uint32_t word[2];
};

FT_HOST_DEVICE uint32_t philox_mulhi(uint32_t a, uint32_t b, uint32_t* lo) {
  const uint64_t product = static_cast<uint64_t>(a) * b;
  *lo = static_cast<uint32_t>(product);
  return static_cast<uint32_t>(product >> 32);
}

FT_HOST_DEVICE PhiloxCounter philox4x32_10(PhiloxCounter c, PhiloxKey k) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments
  for (int round = 0; round < 10; ++round) {
    uint32_t lo0, lo1;
    const uint32_t hi0 = philox_mulhi(kM0, c.word[0], &lo0);
    const uint32_t hi1 = philox_mulhi(kM1, c.word[2], &lo1);
    c = PhiloxCounter{{hi1 ^ c.word[1] ^ k.word[0], lo1, hi0 ^ c.word[3] ^ k.word[1], lo0}};
    k.word[0] += kW0;
    k.word[1] += kW1;
  }
  return c;
}

// floor(r * n / 2^64): maps a uniform 64-bit word onto [0, n) without division (bias below n / 2^64).
FT_HOST_DEVICE uint64_t scale_to_range(uint64_t r, uint64_t n) {
#if defined(__CUDA_ARCH__)
  return __umul64hi(r, n);
#else
  return static_cast<uint64_t>((static_cast<unsigned __int128>(r) * n) >> 64);
#endif
}

}  // namespace ftcnn
