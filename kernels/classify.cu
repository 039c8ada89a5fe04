// Classification on the device. See classify.cuh for the contracts and classify_bodies.hpp for the per-row
// bodies (top-1, outcome); the kernels only loop and count.
#include "kernels/classify.cuh"
#include "kernels/classify_bodies.hpp"
#include "kernels/launch_grid.hpp"

namespace ftcnn::kernels {
namespace {

__global__ void top1_kernel(const float* logits, int64_t rows, int64_t classes, int32_t* predictions) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < rows;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    predictions[i] = row_top1(logits + i * classes, classes);
  }
}

__global__ void compare_kernel(const float* logits, int64_t rows, int64_t classes, const int32_t* golden,
                               const int32_t* labels, unsigned long long* counters) {
  // Per-block tallies in shared memory, one atomic per counter per block.
  __shared__ unsigned long long tally[kOutcomeCounters];
  if (threadIdx.x < kOutcomeCounters) tally[threadIdx.x] = 0;
  __syncthreads();
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < rows;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const RowOutcome r = row_outcome(row_top1(logits + i * classes, classes), golden[i], labels[i]);
    if (r.correct) atomicAdd(&tally[kCorrect], 1ull);
    atomicAdd(&tally[r.counter], 1ull);
  }
  __syncthreads();
  if (threadIdx.x < kOutcomeCounters && tally[threadIdx.x] != 0)
    atomicAdd(&counters[threadIdx.x], tally[threadIdx.x]);
}

}  // namespace

void launch_top1(const float* logits, int64_t rows, int64_t classes, int32_t* predictions,
                 cudaStream_t stream) {
  if (rows == 0) return;
  top1_kernel<<<grid_blocks(rows), kBlockThreads, 0, stream>>>(logits, rows, classes, predictions);
}

void launch_compare_with_golden(const float* logits, int64_t rows, int64_t classes, const int32_t* golden,
                                const int32_t* labels, unsigned long long* counters, cudaStream_t stream) {
  if (rows == 0) return;
  compare_kernel<<<grid_blocks(rows), kBlockThreads, 0, stream>>>(logits, rows, classes, golden, labels,
                                                                  counters);
}

}  // namespace ftcnn::kernels
