// The per-index bodies of the hardening kernels (kernels/edac.cu), host and device
// (kernels/host_device.hpp): the channel-major index decomposition, the correction rules
// (kernels/edac_rules.hpp, shared with the CPU layers) and the fused BatchNorm / ReLU epilogue per channel
// (kernels/batchnorm_rules.hpp, shared with the unfused kernels and the CPU layers).
//
// Element j < batch * inner of output channel c is item n = j / inner, position p = j % inner
// (channel_element); the protected layer's output is [batch, in_channels, inner], the result
// [batch, channels, inner].
#pragma once

#include <cstdint>

#include "kernels/batchnorm_rules.hpp"
#include "kernels/edac_rules.hpp"
#include "kernels/elementwise_bodies.hpp"
#include "kernels/host_device.hpp"

namespace ftcnn::kernels {

struct CorrectionEpilogue {
  // BatchNorm2d parameters, device memory, `channels` entries each; gamma == nullptr: no BatchNorm (the
  // others are not read). Read on every launch: a corrupted parameter acts at once.
  const float* gamma = nullptr;
  const float* beta = nullptr;
  const float* mean = nullptr;
  const float* var = nullptr;
  double eps = 0.0;
  bool relu = false;  // max(v, 0) last, NaN kept
};

// The epilogue of one output channel: BatchNorm's scale and shift derived once per thread and channel, as
// the unfused batchnorm kernel does, then applied per element in the unfused order (BatchNorm, then ReLU).
struct ChannelEpilogue {
  bool batchnorm = false, relu = false;
  BatchnormChannel bn;
};

FT_KERNEL_HD ChannelEpilogue channel_epilogue(const CorrectionEpilogue& e, int64_t c) {
  ChannelEpilogue f;
  f.batchnorm = e.gamma != nullptr;
  f.relu = e.relu;
  if (f.batchnorm) f.bn = batchnorm_channel(e.gamma[c], e.beta[c], e.mean[c], e.var[c], e.eps);
  return f;
}

FT_KERNEL_HD float apply_epilogue(const ChannelEpilogue& f, float v) {
  if (f.batchnorm) v = batchnorm_apply(v, f.bn.scale, f.bn.shift);
  return f.relu ? relu_apply(v) : v;
}

// What a thread reads once per output channel c: its copy index (-1: none), its bounds (edac with
// intervals only; else 0) and its epilogue.
struct CorrectionChannel {
  int32_t copy = -1;
  float lower = 0.0f, upper = 0.0f;
  ChannelEpilogue finish;
};

FT_KERNEL_HD CorrectionChannel correction_channel(const int32_t* copy_index, const float* lower,
                                                  const float* upper, bool with_intervals,
                                                  const CorrectionEpilogue& epilogue, int64_t c) {
  CorrectionChannel ch;
  ch.copy = copy_index[c];
  ch.lower = with_intervals ? lower[c] : 0.0f;
  ch.upper = with_intervals ? upper[c] : 0.0f;
  ch.finish = channel_epilogue(epilogue, c);
  return ch;
}

// edac_kernel, element j of output channel c: in has channels + copies channels, the copy of c at
// channels + ch.copy.
FT_KERNEL_HD void edac_body(const float* in, float* out, const CorrectionChannel& ch, bool with_intervals,
                            int64_t channels, int64_t copies, int64_t inner, int64_t c, int64_t j) {
  const int64_t in_channels = channels + copies;
  const ChannelElement e = channel_element(j, inner);
  const float a = in[nci_index(e.item, c, in_channels, e.position, inner)];
  float v;
  if (ch.copy < 0) {
    v = with_intervals ? edac_single(a, ch.lower, ch.upper) : edac_scrub(a);
  } else {
    const float b = in[nci_index(e.item, channels + ch.copy, in_channels, e.position, inner)];
    v = with_intervals ? edac_pair(a, b, ch.lower, ch.upper) : dup_only_pair(a, b);
  }
  out[nci_index(e.item, c, channels, e.position, inner)] = apply_epilogue(ch.finish, v);
}

// tmr_vote_kernel, element j of output channel c: in has channels + 2 * copies channels, the copies of c at
// channels + ch.copy and channels + copies + ch.copy.
FT_KERNEL_HD void tmr_vote_body(const float* in, float* out, const CorrectionChannel& ch, int64_t channels,
                                int64_t copies, int64_t inner, int64_t c, int64_t j) {
  const int64_t in_channels = channels + 2 * copies;
  const ChannelElement e = channel_element(j, inner);
  const float a = in[nci_index(e.item, c, in_channels, e.position, inner)];
  const float v =
      ch.copy < 0
          ? edac_scrub(a)
          : tmr_vote3(a, in[nci_index(e.item, channels + ch.copy, in_channels, e.position, inner)],
                      in[nci_index(e.item, channels + copies + ch.copy, in_channels, e.position, inner)]);
  out[nci_index(e.item, c, channels, e.position, inner)] = apply_epilogue(ch.finish, v);
}

}  // namespace ftcnn::kernels
