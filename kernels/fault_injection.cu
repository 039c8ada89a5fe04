#include "kernels/fault_injection.cuh"
#include "kernels/launch_grid.cuh"

namespace ftcnn::kernels {
namespace {

__global__ void flip_repetition_kernel(uint32_t* words, const TargetGroup* groups,
                                       const TargetTensor* tensors, const int64_t* site_offsets,
                                       int group_count, int64_t total_sites, uint32_t bit_first,
                                       uint32_t bit_count, FaultKey key) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total_sites;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    // The group holding site i: the last g with site_offsets[g] <= i (groups with no sites are skipped).
    int lo = 0, hi = group_count - 1;
    while (lo < hi) {
      const int mid = (lo + hi + 1) / 2;
      if (site_offsets[mid] <= i)
        lo = mid;
      else
        hi = mid - 1;
    }
    const FaultSite site = fault_site(key, groups, tensors, bit_first, bit_count, static_cast<uint32_t>(lo),
                                      static_cast<uint32_t>(i - site_offsets[lo]));
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
