// Bit-flip fault injection on the device: one launch flips every site of a repetition, a second identical
// launch restores them (XOR is its own inverse, and atomicXor makes repeated sites cancel exactly as on the
// host). Sites come from fault_site() in engine/fault/fault_key.hpp, the very function the host uses, over
// the plain-data target tables, so a repetition flips the same bits on the CPU and on the GPU.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "engine/fault/fault_key.hpp"

namespace ftcnn::kernels {

// Flips draws [0, site_offsets[g + 1] - site_offsets[g]) of every group g; site_offsets has group_count + 1
// entries (prefix sums of the per-group counts) and lives in device memory, as do the tables.
void launch_flip_repetition(float* arena, const TargetGroup* groups, const TargetTensor* tensors,
                            const int64_t* site_offsets, int group_count, int64_t total_sites,
                            uint32_t bit_first, uint32_t bit_count, FaultKey key, cudaStream_t stream);

// Flips an explicit list of (arena element, bit) pairs (replay).
void launch_flip_list(float* arena, const int64_t* elements, const uint32_t* bits, int64_t count,
                      cudaStream_t stream);

}  // namespace ftcnn::kernels
