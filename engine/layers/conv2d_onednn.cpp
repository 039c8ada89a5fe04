#include "engine/layers/conv2d_onednn.hpp"

#include <algorithm>
#include <optional>

#include "engine/cpu_context.hpp"
#include "engine/error.hpp"
#include "engine/layers/conv2d.hpp"
#include "engine/layers/onednn_handles.hpp"

#ifdef FTCNN_WITH_ONEDNN
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "engine/fault/philox.hpp"
#endif

namespace ftcnn {

#ifndef FTCNN_WITH_ONEDNN

std::unique_ptr<OneDnnHandles> make_onednn_handles() {
  FT_THROW("this build of ftcnn has no oneDNN (configure with -DFTCNN_ONEDNN=ON)");
}

std::unique_ptr<LayerCpuState> prepare_onednn_conv(const std::string& layer, const Conv2dAttributes&,
                                                   const Shape&, const Shape&, const CopyRows&, CpuContext&,
                                                   CopyRunChoice) {
  FT_THROW("layer {} (conv2d): this build of ftcnn has no oneDNN", layer);
}

void forward_onednn_conv(const LayerCpuState&, const float*, const float*, const float*, float*,
                         CpuContext&) {
  FT_THROW("this build of ftcnn has no oneDNN");
}

#else

std::unique_ptr<OneDnnHandles> make_onednn_handles() {
  try {
    return std::make_unique<OneDnnHandles>();
  } catch (const dnnl::error& e) {
    FT_THROW("oneDNN: cannot open the CPU engine: {}", e.what());
  }
}

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr memory::data_type kF32 = memory::data_type::f32;

// `count` rounded up to a multiple of `multiple`.
int64_t round_up(int64_t count, int64_t multiple) {
  return (count + multiple - 1) / multiple * multiple;
}

// Output channels per block in oneDNN's blocked fp32 layouts (nChw16c and its weights) on AVX-512.
constexpr int64_t kOneDnnChannelBlock = 16;

// Copy-set runs of whole groups of 4 channel blocks instead of the one-run probe, where they cost less. On
// output planes of at most 2 x 2 brgconv's register tiles span several channel blocks, and a channel count
// whose blocks do not come in fours runs slowly there: 512 -> 589 channels (37 blocks) took 1.39x to 1.50x
// the plain layer's time (VGG-11's 2 x 2 layers, `ftcnn bench --layers`, Zen 4, 2 threads), while copy-set
// runs of 295 rows padded to 320 took 1.14x to 1.19x; but AlexNet's 256 + 38 channels as two runs padded to
// 192 rows took 1.52x. So, counting rows with a 1.2 penalty for one run whose blocks do not come in fours
// (the slowdown measured on 589 channels against their multiply-adds), the cheaper of the two; larger
// planes always try the one run.
bool wide_copy_set_runs(int64_t plane, int64_t total_rows, const CopyRows& sets) {
  if (plane > 4) return false;
  const int64_t one_run_blocks = round_up(total_rows, kOneDnnChannelBlock) / kOneDnnChannelBlock;
  const double one_run =
      static_cast<double>(one_run_blocks * kOneDnnChannelBlock) * (one_run_blocks % 4 ? 1.2 : 1.0);
  const auto runs = static_cast<int64_t>(sets.groups.size());
  const int64_t wide = runs * round_up(static_cast<int64_t>(sets.groups[0].size()), 4 * kOneDnnChannelBlock);
  return static_cast<double>(wide) < one_run;
}

// Scratch offsets in floats, each buffer starting on a 64-byte boundary.
constexpr int64_t kAlignFloats = 16;
int64_t aligned(int64_t floats) {
  return round_up(floats, kAlignFloats);
}
int64_t floats_of(const memory::desc& d) {
  return aligned(static_cast<int64_t>(d.get_size() / sizeof(float)));
}

// One convolution primitive for `batch` images and `rows` output channels, and the reorders from and to the
// caller's layouts (NCHW activations, the arena's [out, in / groups, kh, kw] weights) where oneDNN chose
// another (its blocked layouts; a reorder copies values, it computes nothing).
struct Primitive {
  memory::desc src_user, src, weight_user, weight, bias, dst, dst_user, scratchpad;
  dnnl::convolution_forward conv;
  std::optional<dnnl::reorder> src_reorder, weight_reorder, dst_reorder;
  std::string implementation;
};

Primitive make_primitive(const Conv2dAttributes& a, const Shape& input, const Shape& output, int64_t batch,
                         int64_t rows, bool with_bias, const dnnl::engine& engine) {
  const memory::dims src_dims{batch, input[1], input[2], input[3]};
  const memory::dims dst_dims{batch, rows, output[2], output[3]};
  const memory::dims weight_dims =
      a.groups == 1
          ? memory::dims{rows, a.in_channels, a.kernel[0], a.kernel[1]}
          : memory::dims{a.groups, rows / a.groups, a.in_channels / a.groups, a.kernel[0], a.kernel[1]};
  Primitive p;
  p.src_user = memory::desc(src_dims, kF32, Tag::nchw);
  p.dst_user = memory::desc(dst_dims, kF32, Tag::nchw);
  p.weight_user = memory::desc(weight_dims, kF32, a.groups == 1 ? Tag::oihw : Tag::goihw);
  const memory::desc src_any(src_dims, kF32, Tag::any), dst_any(dst_dims, kF32, Tag::any);
  const memory::desc weight_any(weight_dims, kF32, Tag::any);
  const memory::dims strides{a.stride[0], a.stride[1]}, padding{a.padding[0], a.padding[1]};
  // Direct only, never convolution_winograd / convolution_auto (see the header).
  const auto desc =
      with_bias ? dnnl::convolution_forward::desc(
                      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_any,
                      weight_any, memory::desc({rows}, kF32, Tag::x), dst_any, strides, padding, padding)
                : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                  dnnl::algorithm::convolution_direct, src_any, weight_any,
                                                  dst_any, strides, padding, padding);
  dnnl::primitive_attr attr;
  attr.set_fpmath_mode(dnnl::fpmath_mode::strict);  // fp32 arithmetic, explicitly (see the header)
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::convolution_forward::primitive_desc pd(desc, attr, engine);
  p.src = pd.src_desc();
  p.weight = pd.weights_desc();
  p.bias = pd.bias_desc();
  p.dst = pd.dst_desc();
  p.scratchpad = pd.scratchpad_desc();
  p.implementation = pd.impl_info_str();
  p.conv = dnnl::convolution_forward(pd);
  const auto reorder = [&](const memory::desc& from, const memory::desc& to) -> std::optional<dnnl::reorder> {
    if (from == to) return std::nullopt;
    return dnnl::reorder(dnnl::reorder::primitive_desc(engine, from, engine, to));
  };
  p.src_reorder = reorder(p.src_user, p.src);
  p.weight_reorder = reorder(p.weight_user, p.weight);
  p.dst_reorder = reorder(p.dst, p.dst_user);
  return p;
}

// A conv2d planned for one batch size: the primitive for a chunk of images (and for the last, smaller one),
// and where each buffer lies in the context's scratch.
struct OneDnnConvState final : LayerCpuState {
  std::string implementation() const override {
    if (copy_rows.groups.empty()) return full.implementation;
    return fmt::format("{}, {} {} runs", full.implementation, copy_rows.groups.size(),
                       whole_layer_runs ? "whole-layer" : "copy-set");
  }
  std::string layer;
  int64_t batch = 0, chunk = 0;
  int64_t out_channels = 0, plane = 0, in_item = 0;
  int64_t rows = 0;        // output channels per run: all, or a copy set's rows (padding included)
  int64_t weight_row = 0;  // floats per output channel: in / groups * kh * kw
  bool with_bias = false;
  CopyRows copy_rows;             // empty: one run over all rows, straight into the output
  bool whole_layer_runs = false;  // a grouped layer's runs (copy_rows_whole_layer)
  Primitive full;
  std::optional<Primitive> tail;
  // Scratch offsets (floats): gathered weight rows and bias of a copy set, blocked weights, blocked
  // images, blocked result, the result of one copy set in NCHW, oneDNN's scratchpad; the total.
  int64_t at_rows = 0, at_bias = 0, at_weight = 0, at_src = 0, at_dst = 0, at_plain = 0, at_pad = 0,
          total = 0;
};

// Images per primitive call: as many as keep the blocked images and result near 8 Mi floats each (the
// im2col path's bound), so that a batch of 1000 does not double the activation memory.
int64_t images_per_call(int64_t in_item, int64_t out_item, int64_t batch) {
  constexpr int64_t kScratchFloats = int64_t{8} << 20;
  return std::clamp<int64_t>(kScratchFloats / std::max<int64_t>(std::max(in_item, out_item), 1), 1, batch);
}

// The plan for runs over `copy_rows` (empty: one run over all rows, straight into the output).
std::unique_ptr<OneDnnConvState> make_state(const std::string& layer, const Conv2dAttributes& a,
                                            const Shape& input, const Shape& output,
                                            const CopyRows& copy_rows, CpuContext& ctx) {
  auto s = std::make_unique<OneDnnConvState>();
  s->layer = layer;
  s->batch = input[0];
  s->out_channels = a.out_channels;
  s->in_item = input.per_item();
  s->weight_row = a.in_channels / a.groups * a.kernel[0] * a.kernel[1];
  s->with_bias = a.bias;
  s->plane = output[2] * output[3];
  s->copy_rows = copy_rows;
  s->whole_layer_runs = a.groups > 1;
  s->rows =
      s->copy_rows.groups.empty() ? a.out_channels : static_cast<int64_t>(s->copy_rows.groups[0].size());
  const int64_t padded_rows = round_up(s->rows, kOneDnnChannelBlock);  // blocked layouts round channels up
  s->chunk = images_per_call(s->in_item, padded_rows * s->plane, s->batch);
  omp_set_num_threads(ctx.threads());
  try {
    const dnnl::engine& engine = ctx.onednn().engine;
    s->full = make_primitive(a, input, output, s->chunk, s->rows, a.bias, engine);
    if (s->batch % s->chunk != 0)
      s->tail = make_primitive(a, input, output, s->batch % s->chunk, s->rows, a.bias, engine);
  } catch (const dnnl::error& e) {
    FT_THROW("layer {} (conv2d): oneDNN cannot make a direct fp32 convolution for input {}: {}", layer,
             input.str(), e.what());
  }
  // Each buffer as large as the full chunk's or the tail's needs (a tail has fewer images, but oneDNN may
  // choose another blocking for it).
  int64_t at = 0;
  const auto take = [&](const auto& floats) {
    int64_t need = floats(s->full);
    if (s->tail) need = std::max(need, floats(*s->tail));
    const int64_t start = at;
    at += aligned(need);
    return start;
  };
  const bool gathers = !s->copy_rows.groups.empty();
  const int64_t rows = s->rows, weight_row = s->weight_row;
  s->at_rows = take([&](const Primitive&) { return gathers ? rows * weight_row : 0; });
  s->at_bias = take([&](const Primitive&) { return gathers ? rows : int64_t{0}; });
  s->at_weight = take([](const Primitive& p) { return p.weight_reorder ? floats_of(p.weight) : 0; });
  s->at_src = take([](const Primitive& p) { return p.src_reorder ? floats_of(p.src) : 0; });
  s->at_dst = take([](const Primitive& p) { return p.dst_reorder ? floats_of(p.dst) : 0; });
  s->at_plain = take([&](const Primitive& p) { return gathers ? floats_of(p.dst_user) : 0; });
  s->at_pad = take([](const Primitive& p) { return floats_of(p.scratchpad); });
  s->total = at;
  return s;
}

}  // namespace

void forward_onednn_conv(const LayerCpuState& state, const float* weight, const float* bias, const float* in,
                         float* out, CpuContext& ctx) {
  const auto& s = static_cast<const OneDnnConvState&>(state);
  OneDnnHandles& handles = ctx.onednn();
  const dnnl::engine& engine = handles.engine;
  dnnl::stream& stream = handles.stream;
  omp_set_num_threads(ctx.threads());
  // A 64-byte aligned base inside the scratch.
  float* raw = ctx.scratch(static_cast<size_t>(s.total + kAlignFloats));
  float* scratch =
      raw + (kAlignFloats - (reinterpret_cast<uintptr_t>(raw) / sizeof(float)) % kAlignFloats) % kAlignFloats;
  const auto user = [&](const memory::desc& d, const float* data) {
    return memory(d, engine, const_cast<float*>(data));  // oneDNN only reads a source
  };
  const std::vector<std::vector<int64_t> >& sets = s.copy_rows.groups;
  const size_t runs = sets.empty() ? 1 : sets.size();
  const memory::desc* reordered_for = nullptr;  // the layout the blocked weights hold, this call
  try {
    for (int64_t first = 0; first < s.batch; first += s.chunk) {
      const int64_t count = std::min(s.chunk, s.batch - first);
      const Primitive& p = count == s.chunk ? s.full : *s.tail;
      memory src = user(p.src_user, in + first * s.in_item);
      if (p.src_reorder) {
        memory blocked(p.src, engine, scratch + s.at_src);
        p.src_reorder->execute(stream, src, blocked);
        src = blocked;
      }
      memory scratchpad(p.scratchpad, engine, scratch + s.at_pad);
      for (size_t run = 0; run < runs; ++run) {
        // This run's weight rows and bias: all of them, a copy set's consecutive rows in place, or its rows
        // gathered (a padding row is zeros, its result dropped).
        const float* w = weight;
        const float* b = bias;
        if (!sets.empty()) {
          w = rows_of(weight, sets[run], s.weight_row, scratch + s.at_rows);
          if (bias) b = rows_of(bias, sets[run], 1, scratch + s.at_bias);
        }
        memory weights = user(p.weight_user, w);
        if (p.weight_reorder) {
          memory blocked(p.weight, engine, scratch + s.at_weight);
          // One run (no copy sets): the blocked weights of the previous chunk serve the next one when its
          // primitive wants the same layout; the arena cannot change within a forward call.
          if (runs > 1 || reordered_for == nullptr || !(*reordered_for == p.weight))
            p.weight_reorder->execute(stream, weights, blocked);
          reordered_for = &p.weight;
          weights = blocked;
        }
        // The result in NCHW: the output itself, or (a copy set) a buffer its channels are scattered from.
        float* result = sets.empty() ? out + first * s.out_channels * s.plane : scratch + s.at_plain;
        memory plain(p.dst_user, engine, result);
        memory dst = p.dst_reorder ? memory(p.dst, engine, scratch + s.at_dst) : plain;
        std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src},
                                             {DNNL_ARG_WEIGHTS, weights},
                                             {DNNL_ARG_DST, dst},
                                             {DNNL_ARG_SCRATCHPAD, scratchpad}};
        if (b != nullptr) args.emplace(DNNL_ARG_BIAS, user(p.bias, b));
        p.conv.execute(stream, args);
        if (p.dst_reorder) p.dst_reorder->execute(stream, dst, plain);
        stream.wait();
        if (sets.empty()) continue;
        const std::vector<int64_t>& channel_of_row = s.copy_rows.channel_of_result_row;
        const int64_t rows = s.rows, plane = s.plane, base = static_cast<int64_t>(run) * rows;
#pragma omp parallel for collapse(2) num_threads(ctx.threads()) schedule(static)
        for (int64_t image = 0; image < count; ++image) {
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t channel = channel_of_row[static_cast<size_t>(base + r)];
            if (channel < 0) continue;  // padding
            std::copy_n(result + (image * rows + r) * plane, plane,
                        out + ((first + image) * s.out_channels + channel) * plane);
          }
        }
      }
    }
    stream.wait();
  } catch (const dnnl::error& e) {
    FT_THROW("layer {} (conv2d): oneDNN: {}", s.layer, e.what());
  }
}

namespace {

// Philox-random values in [-1, 1) for the probe below (stream `stream` of the probe's key).
void fill_probe(float* values, int64_t count, uint32_t stream) {
  for (int64_t i = 0; i < count; i += 4) {
    const PhiloxCounter words =
        philox4x32_10(PhiloxCounter{{static_cast<uint32_t>(i), static_cast<uint32_t>(i >> 32), stream, 0}},
                      PhiloxKey{{0x636f7079u, 0x70726f62u}});
    for (int64_t j = 0; j < 4 && i + j < count; ++j)
      values[i + j] = static_cast<float>(words.word[j] >> 8) * 0x1p-23f - 1.0f;
  }
}

// True when one run over all rows of `s` (no copy sets) gives every fault-free copy its original's bits.
// oneDNN promises nothing about whether a channel's sum runs in the same order in every channel block of
// one primitive, so this runs the plan on random images and weights (each copy row equal to its
// original's) through the full chunk's primitive and the tail's, and compares each copy's channel with its
// original's bit for bit. Two orders of summation differ somewhere on random data almost surely, and the
// order does not depend on the values, so equal bits here mean equal bits on every input.
bool copies_exact_in_one_run(OneDnnConvState& s, const std::vector<std::pair<int64_t, int64_t> >& pairs,
                             CpuContext& ctx) {
  const int64_t batch = s.batch, probe = s.tail ? s.chunk + s.batch % s.chunk : s.chunk;
  std::vector<float> weight(static_cast<size_t>(s.out_channels * s.weight_row));
  std::vector<float> bias(static_cast<size_t>(s.out_channels));
  std::vector<float> in(static_cast<size_t>(probe * s.in_item));
  std::vector<float> out(static_cast<size_t>(probe * s.out_channels * s.plane));
  fill_probe(weight.data(), static_cast<int64_t>(weight.size()), 0);
  fill_probe(bias.data(), static_cast<int64_t>(bias.size()), 1);
  fill_probe(in.data(), static_cast<int64_t>(in.size()), 2);
  for (const auto& [original, copy] : pairs) {
    std::copy_n(weight.data() + original * s.weight_row, s.weight_row, weight.data() + copy * s.weight_row);
    bias[static_cast<size_t>(copy)] = bias[static_cast<size_t>(original)];
  }
  s.batch = probe;
  forward_onednn_conv(s, weight.data(), s.with_bias ? bias.data() : nullptr, in.data(), out.data(), ctx);
  s.batch = batch;
  const auto bytes = static_cast<size_t>(s.plane) * sizeof(float);
  for (int64_t image = 0; image < probe; ++image) {
    const float* channels = out.data() + image * s.out_channels * s.plane;
    for (const auto& [original, copy] : pairs) {
      if (std::memcmp(channels + original * s.plane, channels + copy * s.plane, bytes) != 0) return false;
    }
  }
  return true;
}

}  // namespace

std::unique_ptr<LayerCpuState> prepare_onednn_conv(const std::string& layer, const Conv2dAttributes& a,
                                                   const Shape& input, const Shape& output,
                                                   const CopyRows& copy_rows, CpuContext& ctx,
                                                   CopyRunChoice choice) {
  if (copy_rows.groups.empty() || a.groups > 1) return make_state(layer, a, input, output, copy_rows, ctx);
  // A hardened layer: one run over all rows (its MACs, written straight into the output) where it keeps the
  // copies' bits, else one run per copy set, each padded to whole channel blocks.
  const bool wide = wide_copy_set_runs(output[2] * output[3], a.out_channels, copy_rows);
  if (choice == CopyRunChoice::one_run_if_exact && !wide) {
    auto one_run = make_state(layer, a, input, output, CopyRows{}, ctx);
    if (copies_exact_in_one_run(*one_run, copy_pairs(copy_rows), ctx)) return one_run;
  }
  const int64_t blocks = wide ? 4 : 1;
  return make_state(layer, a, input, output, padded_groups(copy_rows, blocks * kOneDnnChannelBlock), ctx);
}

#endif

}  // namespace ftcnn
