// The key of one repetition's fault set, and the site of each fault, computed identically on the host and in
// CUDA kernels.
//
// Every random number of a campaign is Philox4x32-10 of
//   key     = the campaign seed (64 bits),
//   counter = (draw index, group | stream bit, repetition, hash of the BER's bits),
// so a repetition's faults depend only on (seed, BER, repetition, group) and never on the order or place
// in which they are drawn. Stream bit 31 of the group word separates count draws from site draws.
#pragma once

#include <cstdint>
#include <cstring>

#include "engine/fault/fault_targets.hpp"
#include "engine/fault/philox.hpp"

namespace ftcnn {

struct FaultKey {
  uint64_t seed = 0;
  uint32_t ber_hash = 0;  // ber_hash(BER)
  uint32_t repetition = 0;
};

// FNV-1a over the 8 bytes of the double: two BERs that print alike but differ in a bit get different streams.
inline uint32_t ber_hash(double ber) {
  uint64_t bits;
  std::memcpy(&bits, &ber, sizeof bits);
  uint32_t hash = 2166136261u;
  for (int i = 0; i < 8; ++i) {
    hash ^= static_cast<uint32_t>((bits >> (8 * i)) & 0xFFu);
    hash *= 16777619u;
  }
  return hash;
}

constexpr uint32_t kCountStream = 0x80000000u;

FT_HOST_DEVICE PhiloxCounter fault_random(const FaultKey& key, uint32_t group_word, uint32_t draw) {
  const PhiloxKey k{{static_cast<uint32_t>(key.seed), static_cast<uint32_t>(key.seed >> 32)}};
  return philox4x32_10(PhiloxCounter{{draw, group_word, key.repetition, key.ber_hash}}, k);
}

// One flipped bit: element `element` of the parameter arena, bit `bit` (0 = least significant).
struct FaultSite {
  int64_t element;
  uint32_t bit;
  int32_t tensor;  // ParameterStore index
};

// The site of draw `draw` in group `group`: uniform over the group's selected bits.
FT_HOST_DEVICE FaultSite fault_site(const FaultKey& key, const TargetGroup* groups,
                                    const TargetTensor* tensors, uint32_t bit_first, uint32_t bit_count,
                                    uint32_t group, uint32_t draw) {
  const PhiloxCounter r = fault_random(key, group, draw);
  const TargetGroup& g = groups[group];
  const uint64_t word = (static_cast<uint64_t>(r.word[0]) << 32) | r.word[1];
  const uint64_t bit_index = scale_to_range(word, g.bits);
  const int64_t element = static_cast<int64_t>(bit_index / bit_count);
  // The tensor holding the element: binary search over the group's tensors (few, sorted by first_element).
  int lo = g.first_tensor, hi = g.first_tensor + g.tensor_count - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (tensors[mid].first_element <= element)
      lo = mid;
    else
      hi = mid - 1;
  }
  const TargetTensor& t = tensors[lo];
  return FaultSite{t.arena_offset + (element - t.first_element),
                   bit_first + static_cast<uint32_t>(bit_index % bit_count), t.tensor};
}

}  // namespace ftcnn
