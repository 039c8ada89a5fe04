// The per-index bodies of the custom CUDA kernels (kernels/*_bodies.hpp), run on the CPU: every body is
// looped over the whole index space of small and awkward shapes (padding, stride > 1, kernel > input, empty
// groups, tails, channel counts that are not powers of two, batch > 1), through a model of the kernels'
// grid-stride loops with the grids the launchers compute, and compared bit for bit with the CPU layers or
// with a brute-force reference written here. The index decompositions are checked at indices above 2^31 and
// 2^32 with large (unallocated) dimensions; the grid helpers for huge counts; the cuBLAS argument functions
// (kernels/gemm_dims.hpp) with OpenBLAS's column-major sgemm on small integers (exact).
//
// No GPU is needed: this is what makes the kernels' arithmetic provable on a machine without one. What it
// cannot cover is the CUDA compiler's code generation and the warp shuffles themselves ([cuda] tests).
#include <cblas.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "engine/evaluate.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/leaky_relu.hpp"
#include "kernels/batchnorm_rules.hpp"
#include "kernels/classify_bodies.hpp"
#include "kernels/edac_bodies.hpp"
#include "kernels/elementwise_bodies.hpp"
#include "kernels/fault_injection_bodies.hpp"
#include "kernels/gemm_dims.hpp"
#include "kernels/launch_grid.hpp"
#include "kernels/pooling_bodies.hpp"
#include "kernels/vulnerability_bodies.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;
namespace k = ftcnn::kernels;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();
constexpr int64_t k2p31 = int64_t{1} << 31;
constexpr int64_t k2p32 = int64_t{1} << 32;

uint32_t bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

uint64_t bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// Bit-identical float arrays; reports the first difference.
void require_same_bits(const std::vector<float>& actual, const std::vector<float>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    if (bits(actual[i]) != bits(expected[i])) {
      INFO("element " << i << ": " << actual[i] << " vs " << expected[i]);
      REQUIRE(bits(actual[i]) == bits(expected[i]));
    }
  }
}

// The grid-stride loop of a 1-D kernel with `blocks` blocks of kBlockThreads threads: every thread's
// indices, in its order. Counts how often each index is visited (must be once).
template <typename Body>
void grid_stride(int64_t count, unsigned blocks, Body body) {
  std::vector<int> visits(static_cast<size_t>(count), 0);
  const int64_t stride = static_cast<int64_t>(blocks) * k::kBlockThreads;
  for (int64_t t = 0; t < stride; ++t) {
    for (int64_t i = t; i < count; i += stride) {
      ++visits[static_cast<size_t>(i)];
      body(i);
    }
  }
  for (int64_t i = 0; i < count; ++i) REQUIRE(visits[static_cast<size_t>(i)] == 1);
}

// The loops of a channel-major kernel (grid y over channels, x over a channel's elements) with the grid
// channel_grid computes: body(c, j) once for every channel c and element j < per_channel.
template <typename Body>
void channel_grid_stride(int64_t per_channel, int64_t channels, Body body) {
  const k::GridShape grid = k::channel_grid(per_channel, channels);
  std::vector<int> visits(static_cast<size_t>(per_channel * channels), 0);
  const int64_t stride = static_cast<int64_t>(grid.x) * k::kBlockThreads;
  for (int64_t y = 0; y < grid.y; ++y) {
    for (int64_t c = y; c < channels; c += grid.y) {
      for (int64_t t = 0; t < stride; ++t) {
        for (int64_t j = t; j < per_channel; j += stride) {
          ++visits[static_cast<size_t>(c * per_channel + j)];
          body(c, j);
        }
      }
    }
  }
  for (const int v : visits) REQUIRE(v == 1);
}

// Small integers (exact in float sums), with a few special values mixed in when `specials`.
std::vector<float> values(int64_t count, uint32_t seed, bool specials = false) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> small(-8, 8);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = static_cast<float>(small(rng)) * 0.5f;
  if (specials && count >= 8) {
    const float special[] = {kNaN, kInf, -kInf, -0.0f, 1e-40f, -3.0e38f, 3.0e38f};
    std::uniform_int_distribution<int64_t> at(0, count - 1);
    for (const float s : special) v[static_cast<size_t>(at(rng))] = s;
  }
  return v;
}

Tensor run_single_layer(const LayerSpec& layer, const Shape& item, const std::vector<float>& input,
                        int64_t batch, const std::function<void(Graph&)>& set_parameters = {}) {
  ModelSpec spec;
  spec.arch = "kernel-bodies-test";
  spec.input = item;
  spec.layers.push_back(layer);
  Graph graph(spec);
  if (set_parameters) set_parameters(graph);
  std::vector<int64_t> dims{batch};
  for (int i = 0; i < item.rank(); ++i) dims.push_back(item[i]);
  return test::run_graph(graph, Device::cpu, Tensor(Shape(dims), input));
}

std::vector<float> to_vector(const Tensor& t) {
  return std::vector<float>(t.data(), t.data() + t.numel());
}

struct PoolCase {
  int64_t batch, channels, height, width, kh, kw, sh, sw, ph, pw;
};

// Non-square, stride > 1, padding, kernel larger than the input (with padding), batch > 1, odd channels.
const PoolCase kPoolCases[] = {
    {1, 1, 4, 4, 2, 2, 2, 2, 0, 0}, {2, 3, 7, 5, 3, 3, 2, 2, 1, 1}, {3, 5, 6, 9, 2, 3, 1, 2, 1, 1},
    {2, 3, 2, 3, 3, 4, 2, 1, 1, 2}, {1, 7, 5, 5, 5, 5, 1, 1, 2, 2}, {2, 2, 9, 4, 4, 2, 3, 3, 2, 1},
};

k::Pool2dGeometry geometry(const PoolCase& p) {
  k::Pool2dGeometry g;
  g.planes = p.batch * p.channels;
  g.height = p.height;
  g.width = p.width;
  g.kernel_h = p.kh;
  g.kernel_w = p.kw;
  g.stride_h = p.sh;
  g.stride_w = p.sw;
  g.pad_h = p.ph;
  g.pad_w = p.pw;
  g.out_h = (p.height + 2 * p.ph - p.kh) / p.sh + 1;
  g.out_w = (p.width + 2 * p.pw - p.kw) / p.sw + 1;
  return g;
}

k::Window reverse_window(const PoolCase& p) {
  const k::Pool2dGeometry g = geometry(p);
  k::Window w;
  w.channels = p.channels;
  w.height = p.height;
  w.width = p.width;
  w.out_h = g.out_h;
  w.out_w = g.out_w;
  w.kernel_h = p.kh;
  w.kernel_w = p.kw;
  w.stride_h = p.sh;
  w.stride_w = p.sw;
  w.pad_h = p.ph;
  w.pad_w = p.pw;
  return w;
}

LayerSpec pool_layer(const PoolCase& p, LayerType type) {
  LayerSpec s = pool_spec("pool", type, p.kh, p.sh, p.ph);
  PoolAttributes& a = s.attrs<PoolAttributes>();
  a.kernel = {p.kh, p.kw};
  a.stride = {p.sh, p.sw};
  a.padding = {p.ph, p.pw};
  return s;
}

// Brute force: the unclipped window with explicit bounds checks, row-major.
float brute_max(const float* plane, const k::Pool2dGeometry& g, int64_t oh, int64_t ow) {
  float best = -kInf;
  for (int64_t a = 0; a < g.kernel_h; ++a) {
    for (int64_t b = 0; b < g.kernel_w; ++b) {
      const int64_t h = oh * g.stride_h - g.pad_h + a, x = ow * g.stride_w - g.pad_w + b;
      if (h < 0 || h >= g.height || x < 0 || x >= g.width) continue;
      const float v = plane[h * g.width + x];
      if (v > best || std::isnan(v)) best = v;
    }
  }
  return best;
}

float brute_avg(const float* plane, const k::Pool2dGeometry& g, int64_t oh, int64_t ow) {
  float sum = 0.0f;
  for (int64_t a = 0; a < g.kernel_h; ++a) {
    for (int64_t b = 0; b < g.kernel_w; ++b) {
      const int64_t h = oh * g.stride_h - g.pad_h + a, x = ow * g.stride_w - g.pad_w + b;
      if (h < 0 || h >= g.height || x < 0 || x >= g.width) continue;
      sum += plane[h * g.width + x];
    }
  }
  return sum / static_cast<float>(g.kernel_h * g.kernel_w);
}

}  // namespace

// --- launch geometry ---

TEST_CASE("grid_blocks: launch_grid.hpp", "[kernels]") {
  const int64_t t = k::kBlockThreads;
  CHECK(k::grid_blocks(0) == 1u);
  CHECK(k::grid_blocks(-5) == 1u);
  CHECK(k::grid_blocks(1) == 1u);
  CHECK(k::grid_blocks(t) == 1u);
  CHECK(k::grid_blocks(t + 1) == 2u);
  CHECK(k::grid_blocks(4 * t, 4) == 1u);
  CHECK(k::grid_blocks(4 * t + 1, 4) == 2u);
  CHECK(k::grid_blocks(4 * t + 1, 0) == 5u);  // per_thread below 1 counts as 1
  for (const int64_t count :
       {k2p31 - 1, k2p31, k2p32, int64_t{1} << 40, int64_t{1} << 62, std::numeric_limits<int64_t>::max()}) {
    for (const int64_t per_thread : {int64_t{1}, int64_t{4}, int64_t{1} << 20}) {
      INFO("count " << count << ", per_thread " << per_thread);
      const unsigned blocks = k::grid_blocks(count, per_thread);
      CHECK(blocks >= 1u);
      CHECK(static_cast<int64_t>(blocks) <= k::kMaxBlocks);
      // Exactly ceil(count / (threads * per_thread)) below the cap.
      const int64_t per_block = t * per_thread;
      const int64_t wanted = count / per_block + (count % per_block != 0);
      CHECK(static_cast<int64_t>(blocks) == std::min(wanted, k::kMaxBlocks));
      // blocks x threads x loops covers every index: the busiest thread's loop reaches the last index.
      const int64_t threads = static_cast<int64_t>(blocks) * t;
      const int64_t trips = k::grid_stride_trips(count, threads);
      CHECK(trips >= 1);
      CHECK((count - 1) / threads == trips - 1);  // the last index falls in the busiest thread's last trip
    }
  }
  // Small counts through the modelled loop: every index exactly once.
  for (const int64_t count : {int64_t{1}, int64_t{255}, int64_t{256}, int64_t{257}, int64_t{4097}}) {
    int64_t seen = 0;
    grid_stride(count, k::grid_blocks(count, 4), [&](int64_t) { ++seen; });
    CHECK(seen == count);
  }
  CHECK(k::grid_stride_trips(0, 256) == 0);
  CHECK(k::grid_stride_trips(1, 256) == 1);
  CHECK(k::grid_stride_trips(257, 256) == 2);
}

TEST_CASE("channel_grid: launch_grid.hpp", "[kernels]") {
  struct Case {
    int64_t per_channel, channels;
  };
  for (const Case c : {Case{1, 1}, Case{0, 1}, Case{1, 0}, Case{1000, 3}, Case{7, 65535}, Case{7, 65536},
                       Case{3, 100000}, Case{k2p32, 64}, Case{int64_t{1} << 40, 1},
                       Case{int64_t{1} << 62, 70000}, Case{1, int64_t{1} << 40}}) {
    INFO("per_channel " << c.per_channel << ", channels " << c.channels);
    const k::GridShape g = k::channel_grid(c.per_channel, c.channels);
    CHECK(g.x >= 1u);
    CHECK(g.y >= 1u);
    CHECK(static_cast<int64_t>(g.y) <= k::kMaxGridY);  // CUDA's gridDim.y limit
    CHECK(static_cast<int64_t>(g.y) == std::clamp<int64_t>(c.channels, 1, k::kMaxGridY));
    CHECK(static_cast<int64_t>(g.x) * g.y <= std::max<int64_t>(k::kMaxBlocks, g.y));
    CHECK(g.x <= k::grid_blocks(c.per_channel, 4));
    // Channel loop: blockIdx.y + gridDim.y * trips reaches the last channel; x loop likewise.
    if (c.channels > 0) CHECK(k::grid_stride_trips(c.channels, g.y) * g.y >= c.channels);
    if (c.per_channel > 0) {
      const int64_t threads = static_cast<int64_t>(g.x) * k::kBlockThreads;
      CHECK(k::grid_stride_trips(c.per_channel, threads) * threads >= c.per_channel);
    }
  }
  // Small shapes through the modelled loops: every (channel, element) exactly once.
  for (const Case c : {Case{1, 1}, Case{5, 3}, Case{1025, 7}, Case{3, 70000}}) {
    int64_t seen = 0;
    channel_grid_stride(c.per_channel, c.channels, [&](int64_t, int64_t) { ++seen; });
    CHECK(seen == c.per_channel * c.channels);
  }
}

// --- index decompositions at 64-bit indices ---

TEST_CASE("index decompositions above 2^31 and 2^32", "[kernels]") {
  const int64_t indices[] = {0,
                             1,
                             k2p31 - 1,
                             k2p31,
                             k2p31 + 1,
                             k2p32 - 1,
                             k2p32,
                             k2p32 + 1,
                             k2p32 + 123457,
                             (int64_t{1} << 40) + 99,
                             (int64_t{1} << 52) + 3};
  SECTION("channel_element / channel_major_index") {
    const int64_t inner = 70001, channels = 3001;
    for (const int64_t j : indices) {
      const k::ChannelElement e = k::channel_element(j, inner);
      CHECK(e.item * inner + e.position == j);
      CHECK(e.position >= 0);
      CHECK(e.position < inner);
      const int64_t c = 2999;
      // Only where a tensor of (item + 1) x channels x inner elements fits 64 bits (2^52 + 3 does not).
      if (e.item + 1 > std::numeric_limits<int64_t>::max() / (channels * inner)) continue;
      CHECK(k::channel_major_index(j, c, channels, inner) == (e.item * channels + c) * inner + e.position);
    }
  }
  SECTION("pool_output / plane_position") {
    const int64_t out_h = 70000, out_w = 70003;  // out_h * out_w > 2^32
    for (const int64_t i : indices) {
      const k::PoolOutput o = k::pool_output(i, out_h, out_w);
      CHECK((o.plane * out_h + o.oh) * out_w + o.ow == i);
      CHECK(o.oh >= 0);
      CHECK(o.oh < out_h);
      CHECK(o.ow >= 0);
      CHECK(o.ow < out_w);
      const k::PlanePosition p = k::plane_position(i, out_h, out_w);
      CHECK(p.plane == o.plane);
      CHECK(p.h == o.oh);
      CHECK(p.x == o.ow);
    }
  }
  SECTION("im2col_row / im2col_source") {
    k::Window w;
    w.channels = 50000;
    w.height = 300;
    w.width = 400;
    w.kernel_h = 11;
    w.kernel_w = 7;
    w.stride_h = 3;
    w.stride_w = 2;
    w.pad_h = 5;
    w.pad_w = 3;
    w.out_h = (w.height + 2 * w.pad_h - w.kernel_h) / w.stride_h + 1;
    w.out_w = (w.width + 2 * w.pad_w - w.kernel_w) / w.stride_w + 1;
    const int64_t plane = w.out_h * w.out_w;
    REQUIRE(w.channels * w.kernel_h * w.kernel_w * plane > (int64_t{1} << 35));
    for (const int64_t i : indices) {
      if (i >= w.channels * w.kernel_h * w.kernel_w * plane) continue;
      const int64_t r = i / plane, p = i % plane;
      const k::Im2colRow row = k::im2col_row(r, w.kernel_h, w.kernel_w);
      CHECK((row.c * w.kernel_h + row.ki) * w.kernel_w + row.kj == r);
      const int64_t h = (p / w.out_w) * w.stride_h - w.pad_h + row.ki,
                    x = (p % w.out_w) * w.stride_w - w.pad_w + row.kj;
      const bool inside = h >= 0 && h < w.height && x >= 0 && x < w.width;
      CHECK(k::im2col_source(w, i) == (inside ? (row.c * w.height + h) * w.width + x : -1));
    }
  }
  SECTION("channel_of, gather, relu_backward, linear sums") {
    const int64_t channels = 4099, inner = 1000003;
    for (const int64_t i : indices) {
      CHECK(k::channel_of(i, channels, inner) == (i / inner) % channels);
      CHECK(k::channel_of(i, channels, 1) == i % channels);
    }
  }
  SECTION("site_group at site indices above 2^32") {
    const std::vector<int64_t> offsets{0, k2p31, k2p31, k2p32 + 5, k2p32 + 5, int64_t{1} << 40};
    const int groups = static_cast<int>(offsets.size()) - 1;
    for (const int64_t i : {int64_t{0}, k2p31 - 1, k2p31, k2p32 + 4, k2p32 + 5, (int64_t{1} << 40) - 1}) {
      int linear = 0;
      for (int g = 0; g < groups; ++g)
        if (offsets[static_cast<size_t>(g)] <= i && i < offsets[static_cast<size_t>(g) + 1]) linear = g;
      CHECK(k::site_group(offsets.data(), groups, i) == linear);
    }
  }
}

// --- elementwise.cu ---

TEST_CASE("relu_kernel body", "[kernels][relu]") {
  for (const int64_t count : {int64_t{1}, int64_t{257}, int64_t{1031}}) {
    const std::vector<float> in = values(count, 11, true);
    std::vector<float> out(in.size(), 7.0f), in_place = in;
    grid_stride(count, k::grid_blocks(count, 4), [&](int64_t i) {
      k::relu_body(in.data(), out.data(), i);
      k::relu_body(in_place.data(), in_place.data(), i);  // in == out, as the in-place layer
    });
    const Tensor cpu = run_single_layer(simple_spec("relu", LayerType::relu), Shape{count}, in, 1);
    require_same_bits(out, to_vector(cpu));
    require_same_bits(in_place, out);
  }
  CHECK(bits(k::relu_apply(-0.0f)) == bits(-0.0f));
  CHECK(std::isnan(k::relu_apply(kNaN)));
  CHECK(k::relu_apply(-kInf) == 0.0f);
}

TEST_CASE("relu6_kernel and leaky_relu_kernel bodies", "[kernels][relu6][leaky_relu]") {
  for (const int64_t count : {int64_t{1}, int64_t{257}, int64_t{1031}}) {
    std::vector<float> in = values(count, 12, true);
    for (size_t i = 0; i < in.size(); i += 5) in[i] *= 9.0f;  // beyond 6 too
    std::vector<float> six(in.size(), 7.0f), leaky(in.size(), 7.0f);
    grid_stride(count, k::grid_blocks(count, 4), [&](int64_t i) {
      k::relu6_body(in.data(), six.data(), i);
      k::leaky_relu_body(in.data(), leaky.data(), 0.3f, i);
    });
    require_same_bits(six,
                      to_vector(run_single_layer(simple_spec("r6", LayerType::relu6), Shape{count}, in, 1)));
    LayerSpec spec = simple_spec("lr", LayerType::leaky_relu);
    spec.attrs<LeakyReluAttributes>().negative_slope = 0.3;
    require_same_bits(leaky, to_vector(run_single_layer(spec, Shape{count}, in, 1)));
  }
  CHECK(k::relu6_apply(kInf) == 6.0f);
  CHECK(std::isnan(k::leaky_relu_apply(kNaN, 0.5f)));
}

TEST_CASE("add_kernel body", "[kernels][add]") {
  // An add node of three inputs runs out = in0 + in1, then out = out + in2 (out aliasing the running sum).
  // Its three inputs here are three pass-through nodes of the one model input x: (x + x) + x.
  for (const int64_t count : {int64_t{1}, int64_t{257}, int64_t{1031}}) {
    const std::vector<float> x = values(count, 3, true);
    std::vector<float> out(x.size(), 7.0f);
    const int blocks = k::grid_blocks(count, 4);
    grid_stride(count, blocks, [&](int64_t i) { k::add_body(x.data(), x.data(), out.data(), i); });
    grid_stride(count, blocks, [&](int64_t i) { k::add_body(out.data(), x.data(), out.data(), i); });
    ModelSpec spec;
    spec.arch = "add";
    spec.input = Shape{count};
    spec.layers = {simple_spec("a", LayerType::dropout), simple_spec("b", LayerType::dropout),
                   simple_spec("c", LayerType::dropout), join_spec("sum", LayerType::add, {"a", "b", "c"})};
    for (int i = 0; i < 3; ++i) spec.layers[static_cast<size_t>(i)].inputs = {kModelInputName};
    Graph graph(spec);
    const Tensor cpu = test::run_graph(graph, Device::cpu, Tensor(Shape{1, count}, x));
    require_same_bits(out, to_vector(cpu));
  }
}

TEST_CASE("add_channel_bias_kernel body", "[kernels]") {
  struct Case {
    int64_t outer, channels, inner;
  };
  for (const Case c : {Case{1, 1, 1}, Case{3, 5, 7}, Case{2, 3, 1}, Case{4, 13, 9}, Case{1, 300, 2}}) {
    const int64_t count = c.outer * c.channels * c.inner;
    const std::vector<float> data = values(count, 3, true), bias = values(c.channels, 4);
    std::vector<float> body = data, flat = data;
    channel_grid_stride(c.outer * c.inner, c.channels, [&](int64_t ch, int64_t j) {
      k::add_channel_bias_body(body.data(), bias[static_cast<size_t>(ch)], ch, j, c.channels, c.inner);
    });
    // The kernel this one replaces: flat over the array, channel (i / inner) % channels.
    for (int64_t i = 0; i < count; ++i)
      flat[static_cast<size_t>(i)] =
          flat[static_cast<size_t>(i)] + bias[static_cast<size_t>((i / c.inner) % c.channels)];
    require_same_bits(body, flat);
  }
}

TEST_CASE("batchnorm2d_kernel body", "[kernels][batchnorm2d]") {
  struct Case {
    int64_t batch, channels, height, width;
  };
  for (const Case c : {Case{1, 1, 1, 1}, Case{3, 5, 7, 3}, Case{2, 6, 1, 1}, Case{4, 3, 5, 2}}) {
    const int64_t plane = c.height * c.width, count = c.batch * c.channels * plane;
    std::mt19937 rng(17);
    std::uniform_real_distribution<float> u(-2.0f, 2.0f), pos(1e-6f, 3.0f);
    std::vector<float> gamma, beta, mean, var;
    for (int64_t ch = 0; ch < c.channels; ++ch) {
      gamma.push_back(u(rng));
      beta.push_back(u(rng));
      mean.push_back(u(rng));
      var.push_back(ch == 0 ? 0.0f : pos(rng));
    }
    std::vector<float> in(static_cast<size_t>(count));
    for (float& x : in) x = u(rng);
    if (count > 3) in[2] = kNaN;
    const double eps = 1e-5;
    std::vector<float> out(in.size());
    std::vector<k::BatchnormChannel> bn;
    for (int64_t ch = 0; ch < c.channels; ++ch) {
      const size_t s = static_cast<size_t>(ch);
      bn.push_back(k::batchnorm_channel(gamma[s], beta[s], mean[s], var[s], eps));
    }
    channel_grid_stride(c.batch * plane, c.channels, [&](int64_t ch, int64_t j) {
      k::batchnorm2d_body(in.data(), out.data(), bn[static_cast<size_t>(ch)], ch, j, c.channels, plane);
    });
    const Tensor cpu =
        run_single_layer(batchnorm2d_spec("bn", c.channels, eps), Shape{c.channels, c.height, c.width}, in,
                         c.batch, [&](Graph& g) {
                           ParameterStore& store = g.parameters();
                           std::copy(gamma.begin(), gamma.end(), store.host(store.find("bn.weight")));
                           std::copy(beta.begin(), beta.end(), store.host(store.find("bn.bias")));
                           std::copy(mean.begin(), mean.end(), store.host(store.find("bn.running_mean")));
                           std::copy(var.begin(), var.end(), store.host(store.find("bn.running_var")));
                         });
    require_same_bits(out, to_vector(cpu));
    // PyTorch's formula written out here: scale in double, rounded once; shift and output in float.
    for (int64_t i = 0; i < count; ++i) {
      const int64_t ch = (i / plane) % c.channels;
      const size_t s = static_cast<size_t>(ch);
      const float scale =
          static_cast<float>(static_cast<double>(gamma[s]) / std::sqrt(static_cast<double>(var[s]) + eps));
      const float shift = beta[s] - mean[s] * scale;
      const float expected = in[static_cast<size_t>(i)] * scale + shift;
      REQUIRE(bits(out[static_cast<size_t>(i)]) == bits(expected));
    }
  }
}

// --- pooling.cu ---

TEST_CASE("maxpool2d_kernel body", "[kernels][maxpool2d]") {
  uint32_t seed = 100;
  for (const PoolCase& p : kPoolCases) {
    const k::Pool2dGeometry g = geometry(p);
    const int64_t count = g.planes * g.out_h * g.out_w;
    std::vector<float> in = values(g.planes * g.height * g.width, seed++, true);
    in[0] = -kInf;
    std::vector<float> out(static_cast<size_t>(count));
    grid_stride(count, k::grid_blocks(count),
                [&](int64_t i) { k::maxpool2d_body(in.data(), out.data(), g, i); });
    std::vector<float> brute(out.size());
    for (int64_t i = 0; i < count; ++i) {
      const int64_t ow = i % g.out_w, oh = (i / g.out_w) % g.out_h, plane = i / (g.out_w * g.out_h);
      brute[static_cast<size_t>(i)] = brute_max(in.data() + plane * g.height * g.width, g, oh, ow);
    }
    require_same_bits(out, brute);
    const Tensor cpu = run_single_layer(pool_layer(p, LayerType::maxpool2d),
                                        Shape{p.channels, p.height, p.width}, in, p.batch);
    require_same_bits(out, to_vector(cpu));
  }
}

TEST_CASE("avgpool2d_kernel body", "[kernels][avgpool2d]") {
  uint32_t seed = 200;
  for (const PoolCase& p : kPoolCases) {
    const k::Pool2dGeometry g = geometry(p);
    const int64_t count = g.planes * g.out_h * g.out_w;
    std::mt19937 rng(seed++);
    std::uniform_real_distribution<float> u(-3.0f, 3.0f);  // not integers: the order of the sum matters
    std::vector<float> in(static_cast<size_t>(g.planes * g.height * g.width));
    for (float& x : in) x = u(rng);
    std::vector<float> out(static_cast<size_t>(count));
    const float divisor = k::avg_divisor(g.kernel_h, g.kernel_w);
    grid_stride(count, k::grid_blocks(count),
                [&](int64_t i) { k::avgpool2d_body(in.data(), out.data(), g, divisor, i); });
    std::vector<float> brute(out.size());
    for (int64_t i = 0; i < count; ++i) {
      const int64_t ow = i % g.out_w, oh = (i / g.out_w) % g.out_h, plane = i / (g.out_w * g.out_h);
      brute[static_cast<size_t>(i)] = brute_avg(in.data() + plane * g.height * g.width, g, oh, ow);
    }
    require_same_bits(out, brute);
    const Tensor cpu = run_single_layer(pool_layer(p, LayerType::avgpool2d),
                                        Shape{p.channels, p.height, p.width}, in, p.batch);
    require_same_bits(out, to_vector(cpu));
  }
}

TEST_CASE("pooling window: clip_window against the unclipped window", "[kernels]") {
  for (int64_t size = 1; size <= 6; ++size) {
    for (int64_t kernel = 1; kernel <= 8; ++kernel) {
      for (int64_t stride = 1; stride <= 3; ++stride) {
        for (int64_t pad = 0; pad <= 3; ++pad) {
          for (int64_t o = 0; o < 6; ++o) {
            const k::Span s = k::clip_window(o, kernel, stride, pad, size);
            int64_t first = -1, last = -2;
            for (int64_t a = 0; a < kernel; ++a) {
              const int64_t pos = o * stride - pad + a;
              if (pos < 0 || pos >= size) continue;
              if (first < 0) first = pos;
              last = pos;
            }
            if (first < 0) {
              CHECK(s.begin >= s.end);  // empty
            } else {
              CHECK(s.begin == first);
              CHECK(s.end == last + 1);
            }
          }
        }
      }
    }
  }
}

// --- classify.cu ---

TEST_CASE("top1_kernel body: row_top1", "[kernels]") {
  const std::vector<std::vector<float>> rows = {
      {1, 2, 3},    {3, 2, 1},           {2, 2, 1},    {1, 5, 5},        {0.0f, -0.0f},       {-0.0f, 0.0f},
      {kNaN, 1, 2}, {1, 2, kNaN},        {1, kInf, 2}, {-kInf, 1},       {3.0e38f, -3.0e38f}, {-1, -1, -1},
      {1e-45f, 0},  {kNaN, kInf, -kInf}, {7},          {-3, -2, -2, -5},
  };
  for (const auto& row : rows) {
    const int32_t body = k::row_top1(row.data(), static_cast<int64_t>(row.size()));
    CHECK(body == top1(row.data(), static_cast<int64_t>(row.size())));
  }
  CHECK(k::row_top1(rows[2].data(), 3) == 0);  // tie: lowest index
  CHECK(k::row_top1(rows[3].data(), 3) == 1);
  CHECK(k::row_top1(rows[4].data(), 2) == 0);   // 0 and -0 tie
  CHECK(k::row_top1(rows[6].data(), 3) == -1);  // NaN anywhere: no prediction
  CHECK(k::row_top1(rows[7].data(), 3) == -1);
  CHECK(k::row_top1(rows[8].data(), 3) == -1);  // Inf: no prediction
  CHECK(k::row_top1(rows[9].data(), 2) == -1);
  CHECK(k::row_top1(rows[10].data(), 2) == 0);  // huge but finite
  // Random rows, batch of many, against the CPU's top1.
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> small(-3, 3);
  for (int r = 0; r < 2000; ++r) {
    std::vector<float> row(10);
    for (float& v : row) v = static_cast<float>(small(rng));
    if (r % 17 == 0) row[static_cast<size_t>(r % 10)] = kNaN;
    if (r % 23 == 0) row[static_cast<size_t>(r % 10)] = -kInf;
    CHECK(k::row_top1(row.data(), 10) == top1(row.data(), 10));
  }
}

TEST_CASE("compare_kernel body: row_outcome", "[kernels]") {
  struct Case {
    int32_t prediction, golden, label;
    bool correct;
    int counter;
  };
  for (const Case c :
       {Case{3, 3, 3, true, k::kMasked}, Case{3, 3, 1, false, k::kMasked}, Case{2, 3, 2, true, k::kSdc},
        Case{2, 3, 1, false, k::kSdc}, Case{-1, 3, 3, false, k::kDue}, Case{-1, -1, 0, false, k::kDue},
        Case{0, -1, 0, true, k::kSdc}}) {
    const k::RowOutcome r = k::row_outcome(c.prediction, c.golden, c.label);
    CHECK(r.correct == c.correct);
    CHECK(r.counter == c.counter);
  }
}

// --- fault_injection.cu ---

TEST_CASE("flip_repetition_kernel body: group search and sites", "[kernels]") {
  // Three tensors in group 0, one in group 2, two in group 4; groups 1 and 3 hold tensors too but the
  // repetition draws no sites there (empty groups), and so may the first and last groups.
  const std::vector<TargetTensor> tensors = {
      {0, 0, 10, 0}, {16, 10, 5, 1}, {32, 15, 7, 2},  // group 0: 22 elements
      {48, 0, 4, 3},                                  // group 1
      {64, 0, 9, 4},                                  // group 2
      {80, 0, 3, 5},                                  // group 3
      {96, 0, 6, 6}, {112, 6, 2, 7},                  // group 4
  };
  const uint32_t bit_first = 20, bit_count = 12;
  const std::vector<TargetGroup> groups = {
      {0, 3, 22, 22 * bit_count}, {3, 1, 4, 4 * bit_count}, {4, 1, 9, 9 * bit_count},
      {5, 1, 3, 3 * bit_count},   {6, 2, 8, 8 * bit_count},
  };
  const FaultKey key{0x1234567890abcdefull, ber_hash(1e-3), 7};
  for (const std::vector<int64_t>& counts :
       {std::vector<int64_t>{3, 0, 5, 0, 2}, std::vector<int64_t>{0, 0, 4, 0, 0},
        std::vector<int64_t>{0, 1, 0, 1, 0}, std::vector<int64_t>{40, 7, 0, 0, 1},
        std::vector<int64_t>{1, 1, 1, 1, 1}}) {
    std::vector<int64_t> offsets{0};
    for (const int64_t c : counts) offsets.push_back(offsets.back() + c);
    const int group_count = static_cast<int>(counts.size());
    const int64_t total = offsets.back();
    // The host's order (engine/fault/fault_counts.cpp): group after group, draws in order.
    std::vector<FaultSite> host;
    std::vector<int> host_group;
    for (int g = 0; g < group_count; ++g) {
      for (int64_t d = 0; d < counts[static_cast<size_t>(g)]; ++d) {
        host.push_back(fault_site(key, groups.data(), tensors.data(), bit_first, bit_count,
                                  static_cast<uint32_t>(g), static_cast<uint32_t>(d)));
        host_group.push_back(g);
      }
    }
    REQUIRE(static_cast<int64_t>(host.size()) == total);
    grid_stride(total, k::grid_blocks(total), [&](int64_t i) {
      // Linear search: the group whose [offsets[g], offsets[g + 1]) holds i.
      int linear = -1;
      for (int g = 0; g < group_count; ++g)
        if (offsets[static_cast<size_t>(g)] <= i && i < offsets[static_cast<size_t>(g) + 1]) linear = g;
      CHECK(k::site_group(offsets.data(), group_count, i) == linear);
      CHECK(linear == host_group[static_cast<size_t>(i)]);
      const FaultSite s = k::repetition_site(key, groups.data(), tensors.data(), offsets.data(), group_count,
                                             bit_first, bit_count, i);
      const FaultSite& h = host[static_cast<size_t>(i)];
      CHECK(s.element == h.element);
      CHECK(s.bit == h.bit);
      CHECK(s.tensor == h.tensor);
      CHECK(s.bit >= bit_first);
      CHECK(s.bit < bit_first + bit_count);
    });
  }
  // One group.
  const std::vector<int64_t> one{0, 5};
  for (int64_t i = 0; i < 5; ++i) CHECK(k::site_group(one.data(), 1, i) == 0);
}

// --- edac.cu ---

namespace {

struct CorrectionCase {
  int64_t batch, channels, inner;
  std::vector<int32_t> copy_index;  // per channel, -1: none
};

const CorrectionCase kCorrectionCases[] = {
    {1, 1, 1, {0}},
    {3, 5, 7, {-1, 0, -1, 2, 1}},
    {2, 3, 1, {1, -1, 0}},
    {4, 6, 3, {-1, -1, -1, -1, -1, -1}},
};

// BatchNorm parameters with a zero variance, a negative gamma and a NaN mean among them.
struct BnParameters {
  std::vector<float> gamma, beta, mean, var;
  explicit BnParameters(int64_t channels) {
    for (int64_t c = 0; c < channels; ++c) {
      gamma.push_back(c % 2 ? -1.25f : 0.75f);
      beta.push_back(0.5f * static_cast<float>(c) - 1.0f);
      mean.push_back(c == 2 ? kNaN : 0.25f * static_cast<float>(c));
      var.push_back(c == 0 ? 0.0f : 0.3f * static_cast<float>(c));
    }
  }
  k::CorrectionEpilogue epilogue(bool relu) const {
    k::CorrectionEpilogue e;
    e.gamma = gamma.data();
    e.beta = beta.data();
    e.mean = mean.data();
    e.var = var.data();
    e.eps = 1e-5;
    e.relu = relu;
    return e;
  }
};

// The unfused layers on the CPU after a correction: BatchNorm2d, then ReLU, as separate graphs.
std::vector<float> unfused_epilogue(const std::vector<float>& corrected, const CorrectionCase& c,
                                    const BnParameters& p, bool relu) {
  const Tensor bn =
      run_single_layer(batchnorm2d_spec("bn", c.channels, 1e-5), Shape{c.channels, c.inner, 1}, corrected,
                       c.batch, [&](Graph& g) {
                         ParameterStore& store = g.parameters();
                         std::copy(p.gamma.begin(), p.gamma.end(), store.host(store.find("bn.weight")));
                         std::copy(p.beta.begin(), p.beta.end(), store.host(store.find("bn.bias")));
                         std::copy(p.mean.begin(), p.mean.end(), store.host(store.find("bn.running_mean")));
                         std::copy(p.var.begin(), p.var.end(), store.host(store.find("bn.running_var")));
                       });
  if (!relu) return to_vector(bn);
  return to_vector(run_single_layer(simple_spec("relu", LayerType::relu), Shape{c.channels * c.inner},
                                    to_vector(bn), c.batch));
}

}  // namespace

TEST_CASE("edac_kernel body", "[kernels][edac]") {
  uint32_t seed = 300;
  for (const CorrectionCase& c : kCorrectionCases) {
    int64_t copies = 0;
    for (const int32_t k : c.copy_index) copies = std::max<int64_t>(copies, k + 1);
    const int64_t in_channels = c.channels + copies, count = c.batch * c.channels * c.inner;
    std::vector<float> in = values(c.batch * in_channels * c.inner, seed++, true);
    std::vector<float> lower, upper;
    for (int64_t ch = 0; ch < c.channels; ++ch) {
      lower.push_back(ch == 1 ? kNaN : -2.0f);
      upper.push_back(ch == 3 ? -5.0f : 2.5f);  // lower > upper: nothing inside
    }
    const BnParameters bn(c.channels);
    for (const bool with_intervals : {true, false}) {
      // Brute force with the rules: item n, channel ch, position p.
      std::vector<float> brute(static_cast<size_t>(count));
      for (int64_t n = 0; n < c.batch; ++n) {
        for (int64_t ch = 0; ch < c.channels; ++ch) {
          const int32_t kk = c.copy_index[static_cast<size_t>(ch)];
          for (int64_t p = 0; p < c.inner; ++p) {
            const float a = in[static_cast<size_t>((n * in_channels + ch) * c.inner + p)];
            const float lo = lower[static_cast<size_t>(ch)], hi = upper[static_cast<size_t>(ch)];
            float v;
            if (kk < 0) {
              v = with_intervals ? k::edac_single(a, lo, hi) : k::edac_scrub(a);
            } else {
              const float b = in[static_cast<size_t>((n * in_channels + c.channels + kk) * c.inner + p)];
              v = with_intervals ? k::edac_pair(a, b, lo, hi) : k::dup_only_pair(a, b);
            }
            brute[static_cast<size_t>((n * c.channels + ch) * c.inner + p)] = v;
          }
        }
      }
      for (const int variant : {0, 1, 2}) {  // no epilogue, BatchNorm, BatchNorm + ReLU
        k::CorrectionEpilogue e;
        if (variant > 0) e = bn.epilogue(variant == 2);
        std::vector<float> out(static_cast<size_t>(count), 99.0f);
        channel_grid_stride(c.batch * c.inner, c.channels, [&](int64_t ch, int64_t j) {
          const k::CorrectionChannel cc =
              k::correction_channel(c.copy_index.data(), lower.data(), upper.data(), with_intervals, e, ch);
          k::edac_body(in.data(), out.data(), cc, with_intervals, c.channels, copies, c.inner, ch, j);
        });
        INFO("with_intervals " << with_intervals << ", epilogue variant " << variant);
        require_same_bits(out, variant == 0 ? brute : unfused_epilogue(brute, c, bn, variant == 2));
      }
    }
  }
}

TEST_CASE("tmr_vote_kernel body", "[kernels][edac][tmr]") {
  uint32_t seed = 400;
  for (const CorrectionCase& c : kCorrectionCases) {
    int64_t copies = 0;
    for (const int32_t k : c.copy_index) copies = std::max<int64_t>(copies, k + 1);
    const int64_t in_channels = c.channels + 2 * copies, count = c.batch * c.channels * c.inner;
    std::vector<float> in = values(c.batch * in_channels * c.inner, seed++, true);
    std::vector<float> brute(static_cast<size_t>(count));
    for (int64_t n = 0; n < c.batch; ++n) {
      for (int64_t ch = 0; ch < c.channels; ++ch) {
        const int32_t kk = c.copy_index[static_cast<size_t>(ch)];
        for (int64_t p = 0; p < c.inner; ++p) {
          auto at = [&](int64_t channel) {
            return in[static_cast<size_t>((n * in_channels + channel) * c.inner + p)];
          };
          brute[static_cast<size_t>((n * c.channels + ch) * c.inner + p)] =
              kk < 0 ? k::edac_scrub(at(ch))
                     : k::tmr_vote3(at(ch), at(c.channels + kk), at(c.channels + copies + kk));
        }
      }
    }
    const BnParameters bn(c.channels);
    for (const int variant : {0, 1, 2}) {
      k::CorrectionEpilogue e;
      if (variant > 0) e = bn.epilogue(variant == 2);
      std::vector<float> out(static_cast<size_t>(count), 99.0f);
      channel_grid_stride(c.batch * c.inner, c.channels, [&](int64_t ch, int64_t j) {
        const k::CorrectionChannel cc =
            k::correction_channel(c.copy_index.data(), nullptr, nullptr, false, e, ch);
        k::tmr_vote_body(in.data(), out.data(), cc, c.channels, copies, c.inner, ch, j);
      });
      INFO("epilogue variant " << variant);
      require_same_bits(out, variant == 0 ? brute : unfused_epilogue(brute, c, bn, variant == 2));
    }
  }
}

// --- vulnerability_kernels.cu ---

TEST_CASE("gate_mask_kernel body", "[kernels][vulnerability]") {
  std::vector<float> in = values(1031, 21, true);
  for (size_t i = 0; i < in.size(); i += 7) in[i] *= 8.0f;  // beyond 6 too
  const k::Gate relu{}, relu6{0.0f, true, 6.0f, 0.0f};
  for (const k::Gate& gate : {relu, relu6}) {
    std::vector<uint8_t> mask(in.size(), 7);
    grid_stride(static_cast<int64_t>(in.size()), k::grid_blocks(1031),
                [&](int64_t i) { k::gate_mask_body(in.data(), mask.data(), gate, i); });
    for (size_t i = 0; i < in.size(); ++i)
      REQUIRE(mask[i] == (in[i] > 0.0f && (!gate.bounded || in[i] < 6.0f) ? 1 : 0));
  }
  CHECK(k::gate_mask(kNaN, relu) == 0);
  CHECK(k::gate_mask(-0.0f, relu) == 0);
  CHECK(k::gate_mask(1e-45f, relu) == 1);
  CHECK(k::gate_mask(kInf, relu) == 1);   // PyTorch's threshold backward passes +Inf
  CHECK(k::gate_mask(6.0f, relu6) == 0);  // hardtanh backward: the ends do not pass
  CHECK(k::gate_mask(5.999999f, relu6) == 1);
}

TEST_CASE("maxpool2d_argmax_kernel body", "[kernels][vulnerability]") {
  uint32_t seed = 500;
  for (const PoolCase& p : kPoolCases) {
    const k::Window w = reverse_window(p);
    const k::Pool2dGeometry g = geometry(p);
    const int64_t planes = p.batch * p.channels, count = planes * w.out_h * w.out_w;
    std::vector<float> in = values(planes * w.height * w.width, seed++, true);
    for (int64_t i = 0; i < w.width && i < 3; ++i) in[static_cast<size_t>(i)] = -kInf;  // an all -inf window
    std::vector<int32_t> argmax(static_cast<size_t>(count), -7);
    grid_stride(count, k::grid_blocks(count),
                [&](int64_t i) { k::maxpool2d_argmax_body(in.data(), argmax.data(), w, i); });
    std::vector<float> pooled(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) k::maxpool2d_body(in.data(), pooled.data(), g, i);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t ow = i % w.out_w, oh = (i / w.out_w) % w.out_h, plane = i / (w.out_w * w.out_h);
      const float* src = in.data() + plane * w.height * w.width;
      // Brute force: the first strictly larger value (a NaN always taking over) of the unclipped window.
      float best = -kInf;
      int64_t at = -1, first = -1;
      for (int64_t a = 0; a < w.kernel_h; ++a) {
        for (int64_t b = 0; b < w.kernel_w; ++b) {
          const int64_t h = oh * w.stride_h - w.pad_h + a, x = ow * w.stride_w - w.pad_w + b;
          if (h < 0 || h >= w.height || x < 0 || x >= w.width) continue;
          if (first < 0) first = h * w.width + x;
          const float v = src[h * w.width + x];
          if (v > best || std::isnan(v)) {
            best = v;
            at = h * w.width + x;
          }
        }
      }
      if (at < 0) at = first;  // all -inf: its first element
      INFO("output " << i);
      REQUIRE(argmax[static_cast<size_t>(i)] == at);
      // The position holds the value the forward pooled.
      REQUIRE(bits(src[at]) == bits(pooled[static_cast<size_t>(i)]));
    }
  }
}

TEST_CASE("scale_channels_kernel body", "[kernels][vulnerability]") {
  struct Case {
    int64_t outer, channels, inner;
  };
  for (const Case c : {Case{1, 1, 1}, Case{3, 5, 7}, Case{2, 3, 1}, Case{4, 6, 4}}) {
    const int64_t count = c.outer * c.channels * c.inner;
    const std::vector<float> data = values(count, 31, true), scale = values(c.channels, 32);
    std::vector<float> body = data, expected = data;
    grid_stride(count, k::grid_blocks(count), [&](int64_t i) {
      k::scale_channels_body(body.data(), scale.data(), c.channels, c.inner, i);
    });
    for (int64_t o = 0; o < c.outer; ++o)
      for (int64_t ch = 0; ch < c.channels; ++ch)
        for (int64_t i = 0; i < c.inner; ++i)
          expected[static_cast<size_t>((o * c.channels + ch) * c.inner + i)] *=
              scale[static_cast<size_t>(ch)];
    require_same_bits(body, expected);
  }
}

TEST_CASE("gate_backward_kernel body", "[kernels][vulnerability]") {
  const int64_t size = 37, recorded = 4;
  const std::vector<int64_t> source{2, 2, 0, 3, 1, 2};
  const int64_t examples = static_cast<int64_t>(source.size());
  const std::vector<float> recorded_in = values(recorded * size, 41, true);
  std::vector<uint8_t> mask(recorded_in.size());
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = k::gate_mask(recorded_in[i], k::Gate{});
  std::vector<float> grad = values(examples * size, 42, true);
  grad[5] = kInf;  // a leak of 0 gives exactly 0, not Inf * 0
  for (const float leak : {0.0f, 0.125f}) {
    std::vector<float> body = grad;
    grid_stride(examples * size, k::grid_blocks(examples * size), [&](int64_t i) {
      k::gate_backward_body(body.data(), mask.data(), source.data(), size, leak, i);
    });
    std::vector<float> expected = grad;
    for (int64_t e = 0; e < examples; ++e)
      for (int64_t j = 0; j < size; ++j)
        if (!(recorded_in[static_cast<size_t>(source[static_cast<size_t>(e)] * size + j)] > 0.0f)) {
          float& g = expected[static_cast<size_t>(e * size + j)];
          g = leak == 0.0f ? 0.0f : g * leak;
        }
    INFO("leak " << leak);
    require_same_bits(body, expected);
  }
}

TEST_CASE("outputs_holding against the windows", "[kernels][vulnerability]") {
  for (int64_t size = 1; size <= 7; ++size) {
    for (int64_t kernel = 1; kernel <= 5; ++kernel) {
      for (int64_t stride = 1; stride <= 3; ++stride) {
        for (int64_t pad = 0; pad <= kernel / 2; ++pad) {
          if (size + 2 * pad < kernel) continue;
          const int64_t out = (size + 2 * pad - kernel) / stride + 1;
          for (int64_t pos = 0; pos < size; ++pos) {
            const k::OutputRange r = k::outputs_holding(pos, pad, kernel, stride, out);
            for (int64_t o = 0; o < out; ++o) {
              const k::Span s = k::clip_window(o, kernel, stride, pad, size);
              const bool holds = s.begin <= pos && pos < s.end;
              INFO("size " << size << " kernel " << kernel << " stride " << stride << " pad " << pad
                           << " pos " << pos << " o " << o);
              REQUIRE(holds == (r.first <= o && o <= r.last));
            }
          }
        }
      }
    }
  }
}

TEST_CASE("maxpool2d_backward_kernel body", "[kernels][vulnerability]") {
  uint32_t seed = 600;
  for (const PoolCase& p : kPoolCases) {
    const k::Window w = reverse_window(p);
    const int64_t recorded = p.batch, out_plane = w.out_h * w.out_w, in_plane = w.height * w.width;
    std::vector<float> in = values(recorded * w.channels * in_plane, seed++, true);
    std::vector<int32_t> argmax(static_cast<size_t>(recorded * w.channels * out_plane));
    for (int64_t i = 0; i < static_cast<int64_t>(argmax.size()); ++i)
      k::maxpool2d_argmax_body(in.data(), argmax.data(), w, i);
    std::vector<int64_t> source;
    for (int64_t e = 0; e < recorded + 2; ++e) source.push_back((e * 7 + 1) % recorded);
    const int64_t examples = static_cast<int64_t>(source.size());
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> dy(static_cast<size_t>(examples * w.channels * out_plane));
    for (float& v : dy) v = u(rng);
    const int64_t count = examples * w.channels * in_plane;
    std::vector<float> dx(static_cast<size_t>(count), 5.0f);
    grid_stride(count, k::grid_blocks(count), [&](int64_t i) {
      k::maxpool2d_backward_body(dy.data(), argmax.data(), source.data(), w, dx.data(), i);
    });
    // The CPU's scatter (reverse_pass.cpp): zeros, then dy[o] onto its argmax in ascending o.
    std::vector<float> expected(static_cast<size_t>(count), 0.0f);
    for (int64_t e = 0; e < examples; ++e) {
      for (int64_t c = 0; c < w.channels; ++c) {
        float* d = expected.data() + (e * w.channels + c) * in_plane;
        const float* g = dy.data() + (e * w.channels + c) * out_plane;
        const int32_t* at = argmax.data() + (source[static_cast<size_t>(e)] * w.channels + c) * out_plane;
        for (int64_t o = 0; o < out_plane; ++o) d[at[o]] += g[o];
      }
    }
    require_same_bits(dx, expected);
  }
}

TEST_CASE("avgpool2d_backward_kernel body", "[kernels][vulnerability]") {
  uint32_t seed = 700;
  for (const PoolCase& p : kPoolCases) {
    const k::Window w = reverse_window(p);
    const int64_t examples = p.batch + 1, out_plane = w.out_h * w.out_w, in_plane = w.height * w.width;
    std::mt19937 rng(seed++);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> dy(static_cast<size_t>(examples * w.channels * out_plane));
    for (float& v : dy) v = u(rng);
    const int64_t count = examples * w.channels * in_plane;
    const float divisor = k::avg_divisor(w.kernel_h, w.kernel_w);
    std::vector<float> dx(static_cast<size_t>(count), 5.0f);
    grid_stride(count, k::grid_blocks(count),
                [&](int64_t i) { k::avgpool2d_backward_body(dy.data(), w, divisor, dx.data(), i); });
    // The CPU's scatter: zeros, then each output's share onto its clipped window, outputs ascending.
    std::vector<float> expected(static_cast<size_t>(count), 0.0f);
    for (int64_t plane = 0; plane < examples * w.channels; ++plane) {
      float* d = expected.data() + plane * in_plane;
      const float* g = dy.data() + plane * out_plane;
      for (int64_t oh = 0; oh < w.out_h; ++oh) {
        for (int64_t ow = 0; ow < w.out_w; ++ow) {
          const float share = g[oh * w.out_w + ow] / static_cast<float>(w.kernel_h * w.kernel_w);
          for (int64_t a = 0; a < w.kernel_h; ++a) {
            for (int64_t b = 0; b < w.kernel_w; ++b) {
              const int64_t h = oh * w.stride_h - w.pad_h + a, x = ow * w.stride_w - w.pad_w + b;
              if (h >= 0 && h < w.height && x >= 0 && x < w.width) d[h * w.width + x] += share;
            }
          }
        }
      }
    }
    require_same_bits(dx, expected);
  }
}

TEST_CASE("im2col_kernel body", "[kernels][vulnerability]") {
  uint32_t seed = 800;
  for (const PoolCase& p : kPoolCases) {
    const k::Window w = reverse_window(p);
    const std::vector<float> image = values(w.channels * w.height * w.width, seed++, true);
    const int64_t plane = w.out_h * w.out_w, rows = w.channels * w.kernel_h * w.kernel_w,
                  count = rows * plane;
    std::vector<float> cols(static_cast<size_t>(count), 5.0f);
    grid_stride(count, k::grid_blocks(count),
                [&](int64_t i) { k::im2col_body(image.data(), w, cols.data(), i); });
    std::vector<float> expected;
    for (int64_t c = 0; c < w.channels; ++c)
      for (int64_t ki = 0; ki < w.kernel_h; ++ki)
        for (int64_t kj = 0; kj < w.kernel_w; ++kj)
          for (int64_t oh = 0; oh < w.out_h; ++oh)
            for (int64_t ow = 0; ow < w.out_w; ++ow) {
              const int64_t h = oh * w.stride_h - w.pad_h + ki, x = ow * w.stride_w - w.pad_w + kj;
              expected.push_back(h >= 0 && h < w.height && x >= 0 && x < w.width
                                     ? image[static_cast<size_t>((c * w.height + h) * w.width + x)]
                                     : 0.0f);
            }
    require_same_bits(cols, expected);
  }
}

TEST_CASE("gather_items_kernel body", "[kernels][vulnerability]") {
  const int64_t item_size = 13, items = 5;
  const std::vector<float> data = values(items * item_size, 51, true);
  const std::vector<int64_t> index{4, 0, 0, 3, 2, 4, 1};
  const int64_t count = static_cast<int64_t>(index.size());
  std::vector<float> out(static_cast<size_t>(count * item_size), 5.0f);
  grid_stride(count * item_size, k::grid_blocks(count * item_size),
              [&](int64_t i) { k::gather_items_body(data.data(), item_size, index.data(), out.data(), i); });
  std::vector<float> expected;
  for (const int64_t n : index)
    for (int64_t j = 0; j < item_size; ++j) expected.push_back(data[static_cast<size_t>(n * item_size + j)]);
  require_same_bits(out, expected);
}

TEST_CASE("linear_example_sums_kernel body", "[kernels][vulnerability]") {
  const int64_t channels = 7;
  const std::vector<int64_t> source{1, 1, 0, 2};
  const std::vector<double> norm2{3.5, 0.0, 1e300};
  const std::vector<float> dy = values(static_cast<int64_t>(source.size()) * channels, 61, true);
  const int64_t count = static_cast<int64_t>(dy.size());
  std::vector<double> sums(static_cast<size_t>(count), -1.0);
  grid_stride(count, k::grid_blocks(count), [&](int64_t i) {
    k::linear_example_sums_body(dy.data(), source.data(), norm2.data(), channels, sums.data(), i);
  });
  for (int64_t i = 0; i < count; ++i) {
    const double g = dy[static_cast<size_t>(i)];
    const double expected = g * g * norm2[static_cast<size_t>(source[static_cast<size_t>(i / channels)])];
    REQUIRE(bits(sums[static_cast<size_t>(i)]) == bits(expected));
  }
}

namespace {

// The warp-reduced kernels: lane l's part of an item's sum for every l < 32, added by the shuffle tree's host
// model, as lane 0 of the item's warp ends up holding it.
template <typename Part>
double warp_reduce(Part part) {
  double v[k::kWarpLanes];
  for (int l = 0; l < k::kWarpLanes; ++l) v[l] = part(l);
  return k::warp_tree_sum(v);
}

// The warp loop of those kernels with the launchers' grid (grid_blocks(count * 32)): warp w of the grid
// takes items w, w + warps, ...; every item exactly once.
template <typename Body>
void warp_items(int64_t count, Body body) {
  const int64_t warps =
      static_cast<int64_t>(k::grid_blocks(count * k::kWarpLanes)) * k::kBlockThreads / k::kWarpLanes;
  std::vector<int> visits(static_cast<size_t>(count), 0);
  for (int64_t w = 0; w < warps; ++w) {
    for (int64_t item = w; item < count; item += warps) {
      ++visits[static_cast<size_t>(item)];
      body(item);
    }
  }
  for (const int v : visits) REQUIRE(v == 1);
}

}  // namespace

// Small integers (halves) below: every partial sum is exact in double, so the lane split and the warp tree
// give the CPU's sequential sums bit for bit; other values differ from them only by double rounding.

TEST_CASE("row_sum_squares_kernel body", "[kernels][vulnerability]") {
  for (const int64_t length : {int64_t{0}, int64_t{3}, int64_t{32}, int64_t{77}}) {
    const int64_t rows = 5;
    const std::vector<float> a = values(rows * length, 71);
    std::vector<double> out(static_cast<size_t>(rows), -1.0);
    warp_items(rows, [&](int64_t r) {
      out[static_cast<size_t>(r)] = warp_reduce(
          [&](int l) { return k::lane_sum_squares(a.data() + r * length, length, l, k::kWarpLanes); });
    });
    for (int64_t r = 0; r < rows; ++r) {
      double expected = 0.0;  // the CPU's sum_of_squares
      for (int64_t i = 0; i < length; ++i)
        expected += static_cast<double>(a[static_cast<size_t>(r * length + i)]) *
                    a[static_cast<size_t>(r * length + i)];
      CHECK(out[static_cast<size_t>(r)] == expected);
    }
  }
}

TEST_CASE("row_dots_kernel body", "[kernels][vulnerability]") {
  const int64_t length = 77, rows = 6;
  std::vector<float> a = values(rows * length, 72), b = values(rows * length, 73);
  for (int64_t i = 0; i < length; ++i)
    b[static_cast<size_t>(5 * length + i)] = -a[static_cast<size_t>(5 * length + i)];
  std::vector<double> out(static_cast<size_t>(rows), -1.0);
  warp_items(rows, [&](int64_t r) {
    out[static_cast<size_t>(r)] = k::clamp_norm(warp_reduce([&](int l) {
      return k::lane_dot(a.data() + r * length, b.data() + r * length, length, l, k::kWarpLanes);
    }));
  });
  for (int64_t r = 0; r < rows; ++r) {
    double dot = 0.0;
    for (int64_t i = 0; i < length; ++i)
      dot += static_cast<double>(a[static_cast<size_t>(r * length + i)]) *
             b[static_cast<size_t>(r * length + i)];
    CHECK(out[static_cast<size_t>(r)] == std::max(dot, 0.0));  // the CPU's clamp
  }
  CHECK(out[5] == 0.0);  // a negative form clamps to zero
  CHECK(k::clamp_norm(-1e-300) == 0.0);
  CHECK(std::isnan(k::clamp_norm(std::nan(""))));  // NaN is never hidden, as std::max(q, 0.0) on the CPU
}

TEST_CASE("gram_kernel body", "[kernels][vulnerability]") {
  const int64_t count = 5, length = 45;
  const std::vector<float> x = values(count * length, 74);
  std::mt19937 rng(75);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> y_values(x.size());
  for (float& v : y_values) v = u(rng);  // not exact: symmetry must still hold bit for bit
  const std::vector<float>& y = y_values;
  for (const std::vector<float>* in : {&x, &y}) {
    std::vector<double> gram(static_cast<size_t>(count * count), -1.0);
    warp_items(count * count, [&](int64_t pair) {
      const int64_t a = pair / count, b = pair % count;
      gram[static_cast<size_t>(pair)] = warp_reduce([&](int l) {
        return k::lane_dot(in->data() + a * length, in->data() + b * length, length, l, k::kWarpLanes);
      });
    });
    for (int64_t a = 0; a < count; ++a) {
      for (int64_t b = 0; b < count; ++b) {
        CHECK(bits(gram[static_cast<size_t>(a * count + b)]) ==
              bits(gram[static_cast<size_t>(b * count + a)]));
        if (in == &x) {
          double dot = 0.0;  // the CPU's Gram entry
          for (int64_t f = 0; f < length; ++f)
            dot += static_cast<double>(x[static_cast<size_t>(a * length + f)]) *
                   x[static_cast<size_t>(b * length + f)];
          CHECK(gram[static_cast<size_t>(a * count + b)] == dot);
        }
      }
    }
  }
}

TEST_CASE("linear_group_sums_kernel body", "[kernels][vulnerability]") {
  // Groups [0, 3), [3, 3) (empty), [3, 7), [7, 8) over 8 examples of 5 channels, 4 recorded inputs.
  const int64_t recorded = 4, channels = 5, in = 11;
  const std::vector<int64_t> source{0, 2, 2, 1, 3, 0, 1, 2}, group_end{3, 3, 7, 8};
  const int64_t groups = static_cast<int64_t>(group_end.size());
  const std::vector<float> x = values(recorded * in, 76);
  std::vector<double> gram(static_cast<size_t>(recorded * recorded));
  for (int64_t i = 0; i < recorded; ++i)
    for (int64_t j = 0; j < recorded; ++j)
      gram[static_cast<size_t>(i * recorded + j)] = warp_reduce(
          [&](int l) { return k::lane_dot(x.data() + i * in, x.data() + j * in, in, l, k::kWarpLanes); });
  const std::vector<float> dy = values(static_cast<int64_t>(source.size()) * channels, 77);
  std::vector<double> sums(static_cast<size_t>(groups * channels), -1.0);
  warp_items(groups * channels, [&](int64_t item) {
    const int64_t g = item / channels, c = item % channels;
    const int64_t start = g == 0 ? 0 : group_end[static_cast<size_t>(g - 1)],
                  end = group_end[static_cast<size_t>(g)];
    sums[static_cast<size_t>(item)] = k::clamp_norm(warp_reduce([&](int l) {
      return k::lane_group_form(dy.data(), source.data(), start, end, channels, c, gram.data(), recorded, l,
                                k::kWarpLanes);
    }));
  });
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t start = g == 0 ? 0 : group_end[static_cast<size_t>(g - 1)],
                  end = group_end[static_cast<size_t>(g)];
    for (int64_t c = 0; c < channels; ++c) {
      // |sum_e dy[e, c] x_e|^2 written out: the squared norm of row c of the group's summed weight gradient.
      std::vector<double> row(static_cast<size_t>(in), 0.0);
      for (int64_t e = start; e < end; ++e)
        for (int64_t f = 0; f < in; ++f)
          row[static_cast<size_t>(f)] += static_cast<double>(dy[static_cast<size_t>(e * channels + c)]) *
                                         x[static_cast<size_t>(source[static_cast<size_t>(e)] * in + f)];
      double expected = 0.0;
      for (const double v : row) expected += v * v;
      INFO("group " << g << ", channel " << c);
      CHECK(sums[static_cast<size_t>(g * channels + c)] == expected);
    }
  }
}

// --- cuBLAS arguments (kernels/gemm_dims.hpp) against OpenBLAS's column-major sgemm ---

namespace {

struct Dims3 {
  int64_t a, b, c;
};

// Runs the column-major call `g` with A = right, B = left through cblas_sgemm(CblasColMajor, ...).
std::vector<float> column_major(const k::ColMajorGemm& g, const std::vector<float>& right,
                                const std::vector<float>& left) {
  std::vector<float> c(static_cast<size_t>(g.ldc * g.n), -99.0f);
  auto op = [](k::GemmOp o) { return o == k::GemmOp::transpose ? CblasTrans : CblasNoTrans; };
  cblas_sgemm(CblasColMajor, op(g.op_a), op(g.op_b), static_cast<int>(g.m), static_cast<int>(g.n),
              static_cast<int>(g.k), 1.0f, right.data(), static_cast<int>(g.lda), left.data(),
              static_cast<int>(g.ldb), 0.0f, c.data(), static_cast<int>(g.ldc));
  return c;
}

// Row-major C [M, N] = op(L) op(R) by the definition.
std::vector<float> reference(bool trans_l, bool trans_r, int64_t M, int64_t N, int64_t K,
                             const std::vector<float>& l, const std::vector<float>& r) {
  std::vector<float> c(static_cast<size_t>(M * N), 0.0f);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      float sum = 0.0f;
      for (int64_t p = 0; p < K; ++p) {
        const float lv = trans_l ? l[static_cast<size_t>(p * M + i)] : l[static_cast<size_t>(i * K + p)];
        const float rv = trans_r ? r[static_cast<size_t>(j * K + p)] : r[static_cast<size_t>(p * N + j)];
        sum += lv * rv;
      }
      c[static_cast<size_t>(i * N + j)] = sum;
    }
  return c;
}

}  // namespace

TEST_CASE("cuBLAS arguments: gemm_dims.hpp against OpenBLAS column-major", "[kernels]") {
  SECTION("linear forward: y = x W^T") {
    for (const Dims3& d3 : {Dims3{3, 5, 7}, Dims3{1, 4, 2}, Dims3{6, 1, 3}}) {
      const int64_t batch = d3.a, in = d3.b, out = d3.c;
      const std::vector<float> x = values(batch * in, 81), w = values(out * in, 82);
      const k::ColMajorGemm g = k::linear_forward_gemm(batch, in, out);
      CHECK(g.op_a == k::GemmOp::transpose);
      CHECK(g.op_b == k::GemmOp::none);
      require_same_bits(column_major(g, w, x), reference(false, true, batch, out, in, x, w));
    }
  }
  SECTION("Gram: G = cols^T cols") {
    for (const Dims3& d3 : {Dims3{4, 9, 0}, Dims3{7, 3, 0}, Dims3{1, 5, 0}}) {
      const int64_t plane = d3.a, kk = d3.b;
      const std::vector<float> cols = values(kk * plane, 83);
      const k::ColMajorGemm g = k::gram_gemm(plane, kk);
      require_same_bits(column_major(g, cols, cols), reference(true, false, plane, plane, kk, cols, cols));
    }
  }
  SECTION("Gram product: product = D G") {
    for (const Dims3& d3 : {Dims3{5, 3, 0}, Dims3{2, 6, 0}, Dims3{1, 1, 0}}) {
      const int64_t n = d3.a, plane = d3.b;
      const std::vector<float> d = values(n * plane, 84),
                               gram = values(plane * plane, 85);  // G not symmetric
      const k::ColMajorGemm g = k::gram_product_gemm(n, plane);
      require_same_bits(column_major(g, gram, d), reference(false, false, n, plane, plane, d, gram));
    }
  }
  SECTION("direct product: product = D cols^T") {
    for (const Dims3& d3 : {Dims3{5, 3, 8}, Dims3{2, 7, 4}, Dims3{1, 2, 1}}) {
      const int64_t n = d3.a, plane = d3.b, kk = d3.c;
      const std::vector<float> d = values(n * plane, 86), cols = values(kk * plane, 87);
      const k::ColMajorGemm g = k::direct_product_gemm(n, plane, kk);
      require_same_bits(column_major(g, cols, d), reference(false, true, n, kk, plane, d, cols));
    }
  }
  SECTION("linear input gradient: dx = dY W") {
    for (const Dims3& d3 : {Dims3{4, 6, 3}, Dims3{1, 5, 2}, Dims3{7, 2, 9}}) {
      const int64_t examples = d3.a, in = d3.b, out = d3.c;
      const std::vector<float> dy = values(examples * out, 88), w = values(out * in, 89);
      const k::ColMajorGemm g = k::linear_input_gradient_gemm(examples, in, out);
      require_same_bits(column_major(g, w, dy), reference(false, false, examples, in, out, dy, w));
    }
  }
  SECTION("every transposition of the general rule") {
    const int64_t M = 3, N = 5, K = 4;
    for (const bool tl : {false, true}) {
      for (const bool tr : {false, true}) {
        const std::vector<float> l = values(M * K, 90), r = values(K * N, 91);
        require_same_bits(column_major(k::row_major_gemm(tl, tr, M, N, K), r, l),
                          reference(tl, tr, M, N, K, l, r));
      }
    }
  }
}
