// The hardening layers' kernels. See edac.cuh for the contracts and edac_bodies.hpp for the per-index bodies
// (index decomposition, correction rules of edac_rules.hpp, fused BatchNorm / ReLU epilogue of
// batchnorm_rules.hpp); the kernels only loop.
#include "kernels/edac.cuh"
#include "kernels/edac_bodies.hpp"
#include "kernels/launch_grid.hpp"

namespace ftcnn::kernels {
namespace {

// Grid y walks the output channels, grid x the batch * inner elements of one channel (channel_grid, as the
// batchnorm kernel): a thread reads its channel's copy index, bounds and epilogue parameters once
// (correction_channel), then runs the body for each of its elements.
__global__ void edac_kernel(const float* __restrict__ in, float* __restrict__ out, const float* lower,
                            const float* upper, const int32_t* copy_index, bool with_intervals, int64_t batch,
                            int64_t channels, int64_t copies, int64_t inner, CorrectionEpilogue epilogue) {
  const int64_t per_channel = batch * inner;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t c = blockIdx.y; c < channels; c += gridDim.y) {
    const CorrectionChannel ch = correction_channel(copy_index, lower, upper, with_intervals, epilogue, c);
    for (int64_t j = first; j < per_channel; j += stride)
      edac_body(in, out, ch, with_intervals, channels, copies, inner, c, j);
  }
}

__global__ void tmr_vote_kernel(const float* __restrict__ in, float* __restrict__ out,
                                const int32_t* copy_index, int64_t batch, int64_t channels, int64_t copies,
                                int64_t inner, CorrectionEpilogue epilogue) {
  const int64_t per_channel = batch * inner;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t c = blockIdx.y; c < channels; c += gridDim.y) {
    const CorrectionChannel ch = correction_channel(copy_index, nullptr, nullptr, false, epilogue, c);
    for (int64_t j = first; j < per_channel; j += stride)
      tmr_vote_body(in, out, ch, channels, copies, inner, c, j);
  }
}

dim3 grid_for(int64_t batch, int64_t channels, int64_t inner) {
  const GridShape g = channel_grid(batch * inner, channels);
  return dim3(g.x, g.y);
}

}  // namespace

void launch_edac(const float* in, float* out, const float* lower, const float* upper,
                 const int32_t* copy_index, bool with_intervals, int64_t batch, int64_t channels,
                 int64_t copies, int64_t inner, const CorrectionEpilogue& epilogue, cudaStream_t stream) {
  if (batch <= 0 || channels <= 0 || inner <= 0) return;
  edac_kernel<<<grid_for(batch, channels, inner), kBlockThreads, 0, stream>>>(
      in, out, lower, upper, copy_index, with_intervals, batch, channels, copies, inner, epilogue);
}

void launch_tmr_vote(const float* in, float* out, const int32_t* copy_index, int64_t batch, int64_t channels,
                     int64_t copies, int64_t inner, const CorrectionEpilogue& epilogue, cudaStream_t stream) {
  if (batch <= 0 || channels <= 0 || inner <= 0) return;
  tmr_vote_kernel<<<grid_for(batch, channels, inner), kBlockThreads, 0, stream>>>(
      in, out, copy_index, batch, channels, copies, inner, epilogue);
}

}  // namespace ftcnn::kernels
