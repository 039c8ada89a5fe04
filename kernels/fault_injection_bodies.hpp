// The per-index body of the repetition flip kernel (kernels/fault_injection.cu), host and device
// (kernels/host_device.hpp): site index i of a repetition, numbered group after group (prefix sums
// site_offsets), maps to its group by a binary search and then to its site by fault_site(), the function the
// host uses (engine/fault/fault_key.hpp), so the device flips the host's bits.
#pragma once

#include <cstdint>

#include "engine/fault/fault_key.hpp"
#include "kernels/host_device.hpp"

namespace ftcnn::kernels {

// The group holding site i: the last g with site_offsets[g] <= i. site_offsets has group_count + 1 entries,
// non-decreasing from 0; a group without sites (site_offsets[g] == site_offsets[g + 1]) is never the answer
// for 0 <= i < site_offsets[group_count], since a later group then starts at the same offset.
FT_KERNEL_HD int site_group(const int64_t* site_offsets, int group_count, int64_t i) {
  int lo = 0, hi = group_count - 1;
  while (lo < hi) {
    const int mid = lo + (hi - lo + 1) / 2;
    if (site_offsets[mid] <= i)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

// flip_repetition_kernel, site index i < site_offsets[group_count]: draw i - site_offsets[g] of group g.
FT_KERNEL_HD FaultSite repetition_site(const FaultKey& key, const TargetGroup* groups,
                                       const TargetTensor* tensors, const int64_t* site_offsets,
                                       int group_count, uint32_t bit_first, uint32_t bit_count, int64_t i) {
  const int g = site_group(site_offsets, group_count, i);
  return fault_site(key, groups, tensors, bit_first, bit_count, static_cast<uint32_t>(g),
                    static_cast<uint32_t>(i - site_offsets[g]));
}

}  // namespace ftcnn::kernels
