#include "engine/layers/conv2d.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/blas.hpp"
#include "engine/cpu_context.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/conv2d_onednn.hpp"
#include "engine/layers/window.hpp"

namespace ftcnn {
namespace {

// Images per GEMM: as many as keep the column matrix (k rows) and the GEMM result (`rows` rows) near 8 Mi
// floats each, so that small late layers still get one large GEMM while early layers do not blow the
// cache-friendly scratch.
int64_t images_per_gemm(int64_t k, int64_t rows, int64_t plane, int64_t batch) {
  constexpr int64_t kScratchFloats = int64_t{8} << 20;
  const int64_t per_image = std::max(k, rows) * plane;
  return std::clamp<int64_t>(kScratchFloats / std::max<int64_t>(per_image, 1), 1, batch);
}

// GEMM result rows [rows, (b, oh, ow)] of `count` images into NCHW `out` (image 0 of the chunk first), with
// the bias added: row r is channel channel_of_row[r] (negative: padding, skipped) or, without a map,
// channel_offset + r.
void result_to_nchw(const float* result, int64_t rows, const std::vector<int64_t>& channel_of_row,
                    int64_t channel_offset, int64_t channels, int64_t count, int64_t plane, const float* bias,
                    float* out, int threads) {
  const int64_t cols_width = count * plane;
#pragma omp parallel for collapse(2) num_threads(threads) schedule(static)
  for (int64_t b = 0; b < count; ++b) {
    for (int64_t row = 0; row < rows; ++row) {
      const int64_t o =
          channel_of_row.empty() ? channel_offset + row : channel_of_row[static_cast<size_t>(row)];
      if (o < 0) continue;  // padding
      const float* src = result + row * cols_width + b * plane;
      float* dst = out + (b * channels + o) * plane;
      const float add = bias ? bias[o] : 0.0f;
      for (int64_t p = 0; p < plane; ++p) dst[p] = src[p] + add;
    }
  }
}

}  // namespace

void Conv2d::read_attributes(const nlohmann::json& j, LayerSpec& spec) {
  Conv2dAttributes& a = spec.set_attrs<Conv2dAttributes>();
  attributes::read_channels(j, a);
  attributes::read_window(j, a);
  a.bias = attributes::read_bias(j);
  a.groups = j.value("groups", int64_t{1});
}

void Conv2d::write_attributes(const LayerSpec& spec, nlohmann::json& j) {
  const Conv2dAttributes& a = spec.attrs<Conv2dAttributes>();
  attributes::write_channels(a, j);
  attributes::write_window(a, j);
  j["bias"] = a.bias;
  if (a.groups != 1) j["groups"] = a.groups;  // absent: 1, so ungrouped files keep their bytes
}

Conv2d::Conv2d(LayerSpec spec) : Layer(std::move(spec)) {
  const Conv2dAttributes& s = attributes();
  if (s.in_channels <= 0 || s.out_channels <= 0) fail("channel counts must be positive");
  originals_ = s.out_channels;
  if (s.groups < 1 || s.in_channels % s.groups != 0) {
    fail(fmt::format("groups = {} must be positive and divide in = {} and out = {}", s.groups, s.in_channels,
                     s.out_channels));
  }
  // out % groups is checked in output_shape: a hardened grouped layer's out counts its copies too, which
  // only the correction layer after it tells (set_copy_layout).
  for (int i = 0; i < 2; ++i) {
    if (s.kernel[i] <= 0 || s.stride[i] <= 0 || s.padding[i] < 0)
      fail("kernel and stride must be positive, padding >= 0");
  }
}

void Conv2d::declare_parameters(ParameterStore& store) {
  const Conv2dAttributes& s = attributes();
  const std::string& n = spec_.name;
  weight_ = store.add(n + ".weight", n, ParamKind::weight,
                      Shape{s.out_channels, s.in_channels / s.groups, s.kernel[0], s.kernel[1]});
  if (s.bias) bias_ = store.add(n + ".bias", n, ParamKind::bias, Shape{s.out_channels});
}

void Conv2d::set_copy_layout(int64_t originals, const std::vector<int64_t>& copied, int copies) {
  const Conv2dAttributes& s = attributes();
  const int64_t grown = originals + copies * static_cast<int64_t>(copied.size());
  if (grown != s.out_channels) {
    fail(fmt::format("has {} output channels, its correction layer reads {} + {} x {} copies", s.out_channels,
                     originals, copies, copied.size()));
  }
  originals_ = originals;
  copy_rows_ =
      s.groups > 1 ? copy_rows_whole_layer(originals, copied, copies) : copy_rows(originals, copied, copies);
}

Shape Conv2d::output_shape(const Shape& input) const {
  const Conv2dAttributes& s = attributes();
  if (originals_ % s.groups != 0) {
    fail(originals_ == s.out_channels
             ? fmt::format("groups = {} must be positive and divide in = {} and out = {}", s.groups,
                           s.in_channels, s.out_channels)
             : fmt::format("groups = {} must divide the {} output channels without their copies", s.groups,
                           originals_));
  }
  if (input.rank() != 4 || input[1] != s.in_channels) {
    fail(fmt::format("expects input [N, {}, H, W], got {}", s.in_channels, input.str()));
  }
  const int64_t oh = (input[2] + 2 * s.padding[0] - s.kernel[0]) / s.stride[0] + 1;
  const int64_t ow = (input[3] + 2 * s.padding[1] - s.kernel[1]) / s.stride[1] + 1;
  if (input[2] + 2 * s.padding[0] < s.kernel[0] || input[3] + 2 * s.padding[1] < s.kernel[1]) {
    fail(fmt::format("input {} is smaller than the kernel", input.str()));
  }
  return Shape{input[0], s.out_channels, oh, ow};
}

int64_t Conv2d::macs_per_item(const Shape& input) const {
  const Shape out = output_shape(input);
  const Conv2dAttributes& s = attributes();
  // A hardened grouped layer runs whole-layer runs (copy_rows_whole_layer): that many times its originals.
  const int64_t computed = s.groups > 1 && !copy_rows_.groups.empty()
                               ? static_cast<int64_t>(copy_rows_.groups.size()) * originals_
                               : s.out_channels;
  return out.per_item() / s.out_channels * computed * (s.in_channels / s.groups) * s.kernel[0] * s.kernel[1];
}

void Conv2d::forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                         CpuContext& ctx) {
  const Conv2dAttributes& s = attributes();
  const Shape out_shape = output_shape(input);
  if (s.groups > 1) {
    forward_grouped_cpu(input, out_shape, params, in, out, ctx);
    return;
  }
  const kernels::Window window = window_of(s, input, out_shape);
  const int64_t item = input.per_item();
  const int64_t plane = window.plane();  // output positions per image
  const int64_t k = window.rows();
  const int64_t batch = input[0];

  const int64_t chunk = images_per_gemm(k, s.out_channels, plane, batch);

  // A hardened layer (copy_rows.hpp) stacks its GEMM results (padding rows included) and gathers the
  // weight rows of a non-consecutive group into a buffer at the end of the scratch.
  const std::vector<int64_t>& channel_of_row = copy_rows_.channel_of_result_row;
  const int64_t result_rows =
      channel_of_row.empty() ? s.out_channels : static_cast<int64_t>(channel_of_row.size());
  const int64_t gathered =
      copy_rows_.groups.empty() ? 0 : static_cast<int64_t>(copy_rows_.groups[0].size()) * k;
  float* scratch = ctx.scratch(static_cast<size_t>((k + result_rows) * chunk * plane + gathered));
  const float* weight = params(weight_);
  const float* bias = bias_ >= 0 ? params(bias_) : nullptr;

  for (int64_t first = 0; first < batch; first += chunk) {
    const int64_t count = std::min(chunk, batch - first);
    const int64_t cols_width = count * plane;  // columns: (image, oh, ow)
    float* cols = scratch;
    float* result = scratch + k * cols_width;

    // im2col: row r = (c, ki, kj); column (b, oh, ow) holds input[b, c, oh*sh - ph + ki, ow*sw - pw + kj].
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
    for (int64_t r = 0; r < k; ++r)
      im2col_row(window, in + first * item, item, count, r, cols + r * cols_width);

    const auto gemm = [&](const float* rows, int64_t m, float* into) {
      blas_sgemm(false, false, static_cast<int>(m), static_cast<int>(cols_width), static_cast<int>(k), 1.0f,
                 rows, static_cast<int>(k), cols, static_cast<int>(cols_width), 0.0f, into,
                 static_cast<int>(cols_width));
    };
    if (copy_rows_.groups.empty()) {
      gemm(weight, s.out_channels, result);
    } else {
      float* buffer = scratch + (k + result_rows) * chunk * plane;
      int64_t done = 0;
      for (const std::vector<int64_t>& rows : copy_rows_.groups) {
        const auto m = static_cast<int64_t>(rows.size());
        gemm(rows_of(weight, rows, k, buffer), m, result + done * cols_width);
        done += m;
      }
    }

    // result is [out, (b, oh, ow)] (rows in group order when hardened); NCHW wants [b, out, (oh, ow)].
    result_to_nchw(result, result_rows, channel_of_row, 0, s.out_channels, count, plane, bias,
                   out + first * s.out_channels * plane, ctx.threads());
  }
}

std::unique_ptr<LayerCpuState> Conv2d::prepare_cpu(const Shape& input, CpuContext& ctx) const {
  if (ctx.convolution() != CpuConvolution::onednn) return nullptr;
  return prepare_onednn_conv(name(), attributes(), input, output_shape(input), copy_rows_, ctx);
}

void Conv2d::forward_cpu_prepared(const LayerPlan& plan, const ParameterView& params, const float* in,
                                  float* out, CpuContext& ctx) {
  forward_onednn_conv(*plan.cpu, params(weight_), bias_ >= 0 ? params(bias_) : nullptr, in, out, ctx);
}

void Conv2d::forward_grouped_cpu(const Shape& input, const Shape& out_shape, const ParameterView& params,
                                 const float* in, float* out, CpuContext& ctx) const {
  // Group g convolves input channels [g * in_g, (g + 1) * in_g) with weight rows [g * out_g, (g + 1) *
  // out_g): per chunk of images and group one im2col of the group's channels, then one GEMM per run. A
  // hardened layer runs the whole layer once per copy (copy_rows_whole_layer), each run with its own
  // gathered weight rows and the same GEMM shapes, and keeps the result rows its run maps to a channel.
  const Conv2dAttributes& s = attributes();
  kernels::Window window = window_of(s, input, out_shape);
  const int64_t in_g = s.in_channels / s.groups, out_g = originals_ / s.groups;
  window.channels = in_g;
  const int64_t item = input.per_item(), in_plane = input[2] * input[3];
  const int64_t plane = window.plane();
  const int64_t k = window.rows();  // in_g * kh * kw
  const int64_t batch = input[0];
  const int64_t chunk = images_per_gemm(k, out_g, plane, batch);
  const bool hardened = !copy_rows_.groups.empty();
  const int64_t gathered = hardened ? static_cast<int64_t>(copy_rows_.groups.size()) * originals_ * k : 0;
  float* scratch = ctx.scratch(static_cast<size_t>((k + out_g) * chunk * plane + gathered));
  const float* weight = params(weight_);
  const float* bias = bias_ >= 0 ? params(bias_) : nullptr;
  // Each run's weight rows, [originals, k] one run after another (read from the arena on every call:
  // faults in copies act at once).
  // And the output channel of each of its result rows, per run and group (-1: dropped).
  std::vector<const float*> run_weights{weight};
  std::vector<std::vector<int64_t> > channel_maps(static_cast<size_t>(s.groups));
  if (hardened) {
    run_weights.clear();
    channel_maps.clear();
    float* buffer = scratch + (k + out_g) * chunk * plane;
    for (size_t run = 0; run < copy_rows_.groups.size(); ++run) {
      float* block = buffer + static_cast<int64_t>(run) * originals_ * k;
      run_weights.push_back(rows_of(weight, copy_rows_.groups[run], k, block));
      for (int64_t g = 0; g < s.groups; ++g) {
        const auto from = copy_rows_.channel_of_result_row.begin() +
                          static_cast<std::ptrdiff_t>(static_cast<int64_t>(run) * originals_ + g * out_g);
        channel_maps.emplace_back(from, from + out_g);
      }
    }
  }

  for (int64_t first = 0; first < batch; first += chunk) {
    const int64_t count = std::min(chunk, batch - first);
    const int64_t cols_width = count * plane;
    float* cols = scratch;
    float* result = scratch + k * cols_width;
    for (int64_t g = 0; g < s.groups; ++g) {
      const float* images = in + first * item + g * in_g * in_plane;
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
      for (int64_t r = 0; r < k; ++r) im2col_row(window, images, item, count, r, cols + r * cols_width);
      for (size_t run = 0; run < run_weights.size(); ++run) {
        blas_sgemm(false, false, static_cast<int>(out_g), static_cast<int>(cols_width), static_cast<int>(k),
                   1.0f, run_weights[run] + g * out_g * k, static_cast<int>(k), cols,
                   static_cast<int>(cols_width), 0.0f, result, static_cast<int>(cols_width));
        result_to_nchw(result, out_g,
                       channel_maps[run * static_cast<size_t>(s.groups) + static_cast<size_t>(g)], g * out_g,
                       s.out_channels, count, plane, bias, out + first * s.out_channels * plane,
                       ctx.threads());
      }
    }
  }
}

}  // namespace ftcnn
