// Element-wise kernels of the CUDA backend, behind plain launchers: device pointers, sizes and a stream, no
// engine types.
//
// Every launcher enqueues one kernel on `stream` and returns at once (no synchronisation, no allocation); the
// caller checks the launch right after (FT_LAUNCH_CHECK). Sizes and indices are 64-bit and the kernels are
// grid-stride loops, so a tensor of more than 2^31 elements is fine. A count of zero launches nothing.
// Each kernel computes exactly what the matching CPU body does, operation for operation: both call the same
// host+device functions (kernels/batchnorm_rules.hpp; the per-index bodies are
// kernels/elementwise_bodies.hpp), and the library is compiled with --fmad=false, so a*b+c stays two
// roundings as on the CPU.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace ftcnn::kernels {

// out[i] = in[i] < 0 ? 0 : in[i] for i < count. NaN compares false and is kept; so is -0. in == out is
// allowed.
void launch_relu(const float* in, float* out, int64_t count, cudaStream_t stream);

// out[i] = relu6_apply(in[i]) / leaky_relu_apply(in[i], slope) (kernels/activation_rules.hpp) for
// i < count; in == out is allowed.
void launch_relu6(const float* in, float* out, int64_t count, cudaStream_t stream);
void launch_leaky_relu(const float* in, float* out, int64_t count, float slope, cudaStream_t stream);

// out[i] = a[i] + b[i] for i < count: one step of an add node. a == out is allowed.
void launch_add(const float* a, const float* b, float* out, int64_t count, cudaStream_t stream);

// data[(o * channels + c) * inner + i] += bias[c] over an [outer, channels, inner] array: NCHW with
// inner = H * W (a convolution's output), or [N, F] with inner = 1 (a linear layer's).
void launch_add_channel_bias(float* data, const float* bias, int64_t outer, int64_t channels, int64_t inner,
                             cudaStream_t stream);

// BatchNorm2d in eval mode over NCHW [batch, channels, plane]: per channel
//   scale = (float)((double)gamma[c] / sqrt((double)var[c] + eps))   (double, as the CPU body)
//   shift = beta[c] - mean[c] * scale                                 (float)
//   out = in * scale + shift                                          (float, two roundings)
// The scale and shift are derived from the four parameter tensors on every call, so a corrupted parameter
// takes effect at once. in == out is allowed.
void launch_batchnorm2d(const float* in, float* out, const float* gamma, const float* beta, const float* mean,
                        const float* var, double eps, int64_t batch, int64_t channels, int64_t plane,
                        cudaStream_t stream);

}  // namespace ftcnn::kernels
