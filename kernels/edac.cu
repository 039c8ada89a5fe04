// The hardening layers' kernels. See edac.cuh for the contracts, edac_rules.hpp for the correction rules and
// batchnorm_rules.cuh for the fused BatchNorm / ReLU epilogue.
#include "kernels/batchnorm_rules.cuh"
#include "kernels/edac.cuh"
#include "kernels/edac_rules.hpp"
#include "kernels/launch_grid.cuh"

namespace ftcnn::kernels {
namespace {

// The epilogue of one output channel: BatchNorm's scale and shift derived once per thread and channel, as
// the unfused batchnorm kernel does, then applied per element in the unfused order (BatchNorm, then ReLU).
struct ChannelEpilogue {
  bool batchnorm = false, relu = false;
  float scale = 0.0f, shift = 0.0f;

  __device__ ChannelEpilogue(const CorrectionEpilogue& e, int64_t c)
      : batchnorm(e.gamma != nullptr), relu(e.relu) {
    if (batchnorm) {
      scale = batchnorm_scale(e.gamma[c], e.var[c], e.eps);
      shift = batchnorm_shift(e.beta[c], e.mean[c], scale);
    }
  }

  __device__ float operator()(float v) const {
    if (batchnorm) v = batchnorm_apply(v, scale, shift);
    return relu ? relu_apply(v) : v;
  }
};

// Grid y walks the output channels, grid x the batch * inner elements of one channel (as the batchnorm
// kernel): a thread reads its channel's copy index, bounds and epilogue parameters once, and element j of
// channel c is item n = j / inner, position p = j % inner. Input channel ch of item n starts at (n *
// in_channels + ch) * inner.
__global__ void edac_kernel(const float* __restrict__ in, float* __restrict__ out, const float* lower,
                            const float* upper, const int32_t* copy_index, bool with_intervals, int64_t batch,
                            int64_t channels, int64_t copies, int64_t inner, CorrectionEpilogue epilogue) {
  const int64_t in_channels = channels + copies;
  const int64_t per_channel = batch * inner;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t c = blockIdx.y; c < channels; c += gridDim.y) {
    const int32_t k = copy_index[c];
    const float lo = with_intervals ? lower[c] : 0.0f;
    const float hi = with_intervals ? upper[c] : 0.0f;
    const ChannelEpilogue finish(epilogue, c);
    for (int64_t j = first; j < per_channel; j += stride) {
      const int64_t n = j / inner, p = j - n * inner;
      const float a = in[(n * in_channels + c) * inner + p];
      float v;
      if (k < 0) {
        v = with_intervals ? edac_single(a, lo, hi) : edac_scrub(a);
      } else {
        const float b = in[(n * in_channels + channels + k) * inner + p];
        v = with_intervals ? edac_pair(a, b, lo, hi) : dup_only_pair(a, b);
      }
      out[(n * channels + c) * inner + p] = finish(v);
    }
  }
}

__global__ void tmr_vote_kernel(const float* __restrict__ in, float* __restrict__ out,
                                const int32_t* copy_index, int64_t batch, int64_t channels, int64_t copies,
                                int64_t inner, CorrectionEpilogue epilogue) {
  const int64_t in_channels = channels + 2 * copies;
  const int64_t per_channel = batch * inner;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t c = blockIdx.y; c < channels; c += gridDim.y) {
    const int32_t k = copy_index[c];
    const ChannelEpilogue finish(epilogue, c);
    for (int64_t j = first; j < per_channel; j += stride) {
      const int64_t n = j / inner, p = j - n * inner;
      const float* item = in + n * in_channels * inner + p;
      const float a = item[c * inner];
      const float v = k < 0
                          ? edac_scrub(a)
                          : tmr_vote3(a, item[(channels + k) * inner], item[(channels + copies + k) * inner]);
      out[(n * channels + c) * inner + p] = finish(v);
    }
  }
}

dim3 channel_grid(int64_t batch, int64_t channels, int64_t inner) {
  constexpr int64_t kMaxGridY = 65535;  // CUDA's limit on gridDim.y; the kernels loop over the rest
  const int64_t blocks_y = std::min(channels, kMaxGridY);
  const int64_t max_x = std::max<int64_t>(1, kMaxBlocks / blocks_y);
  return dim3(std::min<unsigned>(grid_blocks(batch * inner, 4), static_cast<unsigned>(max_x)),
              static_cast<unsigned>(blocks_y));
}

}  // namespace

void launch_edac(const float* in, float* out, const float* lower, const float* upper,
                 const int32_t* copy_index, bool with_intervals, int64_t batch, int64_t channels,
                 int64_t copies, int64_t inner, const CorrectionEpilogue& epilogue, cudaStream_t stream) {
  if (batch <= 0 || channels <= 0 || inner <= 0) return;
  edac_kernel<<<channel_grid(batch, channels, inner), kBlockThreads, 0, stream>>>(
      in, out, lower, upper, copy_index, with_intervals, batch, channels, copies, inner, epilogue);
}

void launch_tmr_vote(const float* in, float* out, const int32_t* copy_index, int64_t batch, int64_t channels,
                     int64_t copies, int64_t inner, const CorrectionEpilogue& epilogue, cudaStream_t stream) {
  if (batch <= 0 || channels <= 0 || inner <= 0) return;
  tmr_vote_kernel<<<channel_grid(batch, channels, inner), kBlockThreads, 0, stream>>>(
      in, out, copy_index, batch, channels, copies, inner, epilogue);
}

}  // namespace ftcnn::kernels
