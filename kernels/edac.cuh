// The hardening layers' kernels (edac, tmr_vote), behind plain launchers: device pointers, sizes and a
// stream, no engine types. Each launcher enqueues one kernel on `stream` and returns at once; the caller
// checks the launch right after (FT_LAUNCH_CHECK). The per-element rules are kernels/edac_rules.hpp, the
// same functions the CPU bodies call, so both devices give bit-identical results.
//
// Layout: the protected layer's output is [batch, channels + extra, inner] (NCHW with inner = H * W, or
// [N, F] with inner = 1), the first `channels` being the original channels and the rest their copies; the
// result is [batch, channels, inner]. `copy_index[c]` (device memory, `channels` entries) is k when
// original channel c has copies (the k-th copied channel), -1 when it has none. in and out must not alias.
//
// Fusion: each kernel may apply an epilogue to every corrected value before storing it, in place of the
// BatchNorm2d and ReLU layers that follow the correction layer: BatchNorm2d in eval mode per output channel c
// (inner = H * W is its plane), then ReLU, with the very functions the unfused kernels use
// (kernels/batchnorm_rules.hpp), so fused and unfused runs give the same bits.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/edac_bodies.hpp"  // CorrectionEpilogue, the per-index bodies

namespace ftcnn::kernels {

// edac: `copies` copied channels, the copy of channel c (copy_index[c] = k >= 0) at channel channels + k.
// With `with_intervals`, the edac rules with bounds lower[c], upper[c] (device memory, `channels` entries);
// without, the dup-only rules (lower and upper are not read).
void launch_edac(const float* in, float* out, const float* lower, const float* upper,
                 const int32_t* copy_index, bool with_intervals, int64_t batch, int64_t channels,
                 int64_t copies, int64_t inner, const CorrectionEpilogue& epilogue, cudaStream_t stream);

// tmr_vote: `copies` triplicated channels, the two copies of channel c (copy_index[c] = k >= 0) at channels
// channels + k and channels + copies + k; a channel without copies only gets the NaN scrub.
void launch_tmr_vote(const float* in, float* out, const int32_t* copy_index, int64_t batch, int64_t channels,
                     int64_t copies, int64_t inner, const CorrectionEpilogue& epilogue, cudaStream_t stream);

}  // namespace ftcnn::kernels
