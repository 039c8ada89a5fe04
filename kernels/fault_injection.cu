// Bit-flip fault injection on the device. See fault_injection.cuh for the contracts and
// fault_injection_bodies.hpp for the per-index body (group search, then the host's fault_site()).
#include "kernels/fault_injection.cuh"
#include "kernels/fault_injection_bodies.hpp"
#include "kernels/launch_grid.hpp"

namespace ftcnn::kernels {
namespace {

__global__ void flip_repetition_kernel(uint32_t* words, const TargetGroup* groups,
                                       const TargetTensor* tensors, const int64_t* site_offsets,
                                       int group_count, int64_t total_sites, uint32_t bit_first,
                                       uint32_t bit_count, FaultKey key) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total_sites;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const FaultSite site =
        repetition_site(key, groups, tensors, site_offsets, group_count, bit_first, bit_count, i);
    atomicXor(words + site.element, 1u << site.bit);
  }
}

__global__ void flip_list_kernel(uint32_t* words, const int64_t* elements, const uint32_t* bits,
                                 int64_t count) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    atomicXor(words + elements[i], 1u << bits[i]);
  }
}

}  // namespace

void launch_flip_repetition(float* arena, const TargetGroup* groups, const TargetTensor* tensors,
                            const int64_t* site_offsets, int group_count, int64_t total_sites,
                            uint32_t bit_first, uint32_t bit_count, FaultKey key, cudaStream_t stream) {
  if (total_sites == 0) return;
  // The arena's float32 words are flipped through their bit patterns; atomics because two draws may hit one
  // word.
  flip_repetition_kernel<<<grid_blocks(total_sites), kBlockThreads, 0, stream>>>(
      reinterpret_cast<uint32_t*>(arena), groups, tensors, site_offsets, group_count, total_sites, bit_first,
      bit_count, key);
}

void launch_flip_list(float* arena, const int64_t* elements, const uint32_t* bits, int64_t count,
                      cudaStream_t stream) {
  if (count == 0) return;
  flip_list_kernel<<<grid_blocks(count), kBlockThreads, 0, stream>>>(reinterpret_cast<uint32_t*>(arena),
                                                                     elements, bits, count);
}

}  // namespace ftcnn::kernels
