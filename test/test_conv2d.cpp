// conv2d on the CPU: PyTorch fixtures (odd shapes, stride 2, padding, rectangular kernels, batch > 1), and a
// naive reference convolution on small integers, where every sum is exact and must match bit for bit. Then
// both CPU convolution backends (im2col + OpenBLAS; oneDNN where built) side by side: fixtures, hardened
// copies bit for bit, weights read from the arena after a flip, and where a non-finite weight reaches.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>

#include "engine/cpu_context.hpp"
#include "engine/hardening.hpp"
#include "engine/io/hdf5_file.hpp"
#include "engine/io/model_file.hpp"
#include "engine/layers/conv2d.hpp"
#include "engine/layers/conv2d_onednn.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

TEST_CASE("conv2d matches PyTorch", "[conv2d]") {
  for (const char* name : {"conv2d_3x3_s1_p1_bias.h5", "conv2d_5x5_s2_p2_nobias.h5", "conv2d_11x11_s4_p5.h5",
                           "conv2d_1x1_s1_p0.h5", "conv2d_3x3_s2_p0.h5", "conv2d_3x5_s2x1_p1x2.h5",
                           "conv2d_groups2.h5", "conv2d_depthwise_s2.h5"}) {
    const test::Comparison c = test::check_fixture(name, Device::cpu, 1e-5, 1e-4);
    INFO(c.message);
    CHECK(c.ok);
  }
}

TEST_CASE("conv2d is exact on small integers against a naive reference", "[conv2d]") {
  ModelSpec spec;
  spec.arch = "test";
  spec.input = Shape{3, 7, 6};
  spec.layers.push_back(conv2d_spec("conv", 3, 5, 3, 2, 1, true));
  Graph graph(spec);
  ParameterStore& store = graph.parameters();
  float* weight = store.host(store.find("conv.weight"));
  float* bias = store.host(store.find("conv.bias"));
  for (int i = 0; i < 5 * 3 * 3 * 3; ++i) weight[i] = static_cast<float>((i * 7) % 5 - 2);
  for (int i = 0; i < 5; ++i) bias[i] = static_cast<float>(i - 2);
  Tensor input(Shape{2, 3, 7, 6});
  for (int64_t i = 0; i < input.numel(); ++i) input[i] = static_cast<float>((i * 13) % 9 - 4);

  const Tensor actual = test::run_graph(graph, Device::cpu, input);
  REQUIRE(actual.shape() == Shape({2, 5, 4, 3}));
  for (int n = 0; n < 2; ++n) {
    for (int o = 0; o < 5; ++o) {
      for (int oh = 0; oh < 4; ++oh) {
        for (int ow = 0; ow < 3; ++ow) {
          float sum = bias[o];
          for (int c = 0; c < 3; ++c) {
            for (int ki = 0; ki < 3; ++ki) {
              for (int kj = 0; kj < 3; ++kj) {
                const int ih = oh * 2 - 1 + ki, iw = ow * 2 - 1 + kj;
                if (ih < 0 || ih >= 7 || iw < 0 || iw >= 6) continue;
                sum += weight[((o * 3 + c) * 3 + ki) * 3 + kj] * input[((n * 3 + c) * 7 + ih) * 6 + iw];
              }
            }
          }
          REQUIRE(actual[((n * 5 + o) * 4 + oh) * 3 + ow] == sum);
        }
      }
    }
  }
}

TEST_CASE("grouped conv2d: the weight holds in / groups input channels, and groups must divide", "[conv2d]") {
  ModelSpec spec;
  spec.arch = "test";
  spec.input = Shape{6, 5, 5};
  LayerSpec conv = conv2d_spec("conv", 6, 4, 3, 1, 1, false);
  conv.attrs<Conv2dAttributes>().groups = 2;
  spec.layers = {conv};
  Graph graph(spec);
  CHECK(graph.parameters().info(graph.parameters().find("conv.weight")).shape == Shape{4, 3, 3, 3});
  CHECK(graph.macs_per_item() == 4 * 25 * 3 * 9);
  // Group 1 sees only channels 3-5: an input that is zero there gives the bias-free group 1 zeros.
  Tensor input(Shape{1, 6, 5, 5});
  for (int64_t i = 0; i < 3 * 25; ++i) input[i] = 1.0f;
  const Tensor out = test::run_graph(graph, Device::cpu, input);
  for (int64_t i = 2 * 25; i < 4 * 25; ++i) REQUIRE(out[i] == 0.0f);
  conv.attrs<Conv2dAttributes>().groups = 4;  // does not divide 6
  spec.layers = {conv};
  CHECK_THROWS_WITH(Graph(spec), Catch::Contains("conv") && Catch::Contains("groups = 4"));
}

TEST_CASE("conv2d rejects inputs that do not fit", "[conv2d]") {
  Conv2d conv(conv2d_spec("features.0", 3, 8, 5, 1, 0, true));
  CHECK_THROWS_WITH(conv.output_shape(Shape{1, 4, 9, 9}),
                    Catch::Contains("features.0") && Catch::Contains("[N, 3, H, W]"));
  CHECK_THROWS_WITH(conv.output_shape(Shape{1, 3, 4, 9}), Catch::Contains("smaller than the kernel"));
  CHECK(conv.output_shape(Shape{2, 3, 9, 7}) == Shape({2, 8, 5, 3}));
}

// ---- The CPU convolution backends (engine/cpu_context.hpp): im2col + OpenBLAS always, oneDNN where built.

namespace {

std::vector<CpuConvolution> cpu_convolutions() {
  std::vector<CpuConvolution> all{CpuConvolution::im2col};
  if (onednn_compiled()) all.push_back(CpuConvolution::onednn);
  return all;
}

// Runs `graph` on the CPU with `convolution` on a context of its own; `first` (if given) receives the output
// of node 0. `plans` may carry plans over from an earlier call with the same context.
Tensor run_cpu(Graph& graph, CpuContext& cpu, PlanCache& plans, const Tensor& input,
               std::vector<float>* first = nullptr) {
  ExecContext ctx;
  ctx.cpu = &cpu;
  const int64_t batch = input.shape()[0];
  const GraphPlan& plan = plans.get(ctx, batch);
  std::vector<float> arena(static_cast<size_t>(plans.arena_floats()));
  Tensor output(plan.shapes.back());
  LayerHooks hooks;
  hooks.after = [&](int layer, const Shape& shape, float* out) {
    if (layer == 0 && first != nullptr) first->assign(out, out + shape.numel());
  };
  graph.run(ctx, plan, ParameterView(graph.parameters(), graph.parameters().arena().data()), input.data(),
            arena.data(), output.data(), &hooks);
  return output;
}

Tensor run_cpu(Graph& graph, CpuConvolution convolution, const Tensor& input,
               std::vector<float>* first = nullptr) {
  CpuContext cpu(2, convolution);
  PlanCache plans(graph);
  return run_cpu(graph, cpu, plans, input, first);
}

Tensor uniform_input(const Shape& shape, unsigned seed) {
  Tensor t(shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = uniform(rng);
  return t;
}

}  // namespace

TEST_CASE("conv2d fixtures and the exact reference hold on every CPU convolution backend",
          "[conv2d][onednn]") {
  for (const CpuConvolution convolution : cpu_convolutions()) {
    INFO(cpu_convolution_name(convolution));
    for (const char* name : {"conv2d_3x3_s1_p1_bias.h5", "conv2d_5x5_s2_p2_nobias.h5",
                             "conv2d_11x11_s4_p5.h5", "conv2d_1x1_s1_p0.h5", "conv2d_3x3_s2_p0.h5",
                             "conv2d_3x5_s2x1_p1x2.h5", "conv2d_groups2.h5", "conv2d_depthwise_s2.h5"}) {
      Model model = load_model(test::fixture_path(name));
      const H5File file = H5File::open_read(test::fixture_path(name));
      const Tensor actual = run_cpu(*model.graph, convolution, file.read_tensor("fixture_input"));
      const test::Comparison c = test::compare(actual, file.read_tensor("fixture_output"), 1e-5, 1e-4);
      INFO(name << ": " << c.message);
      CHECK(c.ok);
    }
    // Small integers: every sum exact, so both backends give the naive sum's bits (padding skipped).
    ModelSpec spec{"test", Shape{5, 9, 7}, 0, {conv2d_spec("conv", 5, 19, 3, 2, 1, true)}};
    Graph graph(spec);
    float* weight = graph.parameters().host(graph.parameters().find("conv.weight"));
    float* bias = graph.parameters().host(graph.parameters().find("conv.bias"));
    for (int i = 0; i < 19 * 5 * 9; ++i) weight[i] = static_cast<float>((i * 7) % 5 - 2);
    for (int i = 0; i < 19; ++i) bias[i] = static_cast<float>(i % 4 - 2);
    Tensor input(Shape{3, 5, 9, 7});
    for (int64_t i = 0; i < input.numel(); ++i) input[i] = static_cast<float>((i * 13) % 9 - 4);
    const Tensor actual = run_cpu(graph, convolution, input);
    const Tensor reference = run_cpu(graph, CpuConvolution::im2col, input);
    CHECK(std::memcmp(actual.data(), reference.data(), sizeof(float) * actual.numel()) == 0);
  }
}

TEST_CASE("CPU convolution: fault-free copies of a hardened conv2d carry their originals' bits",
          "[conv2d][onednn][harden]") {
  // Output channel counts around oneDNN's 16-channel blocks (5, 16, 20, 40, 64): the copied channels and
  // their copies land in other blocks and lanes than their originals.
  struct Case {
    int64_t in, out, kernel, stride, side, batch;
    double ratio;
  };
  const Case cases[] = {{3, 64, 3, 1, 32, 6, 0.5},
                        {16, 16, 3, 1, 12, 5, 0.15},
                        {16, 20, 3, 2, 11, 4, 0.3},
                        {24, 40, 1, 1, 9, 3, 0.15},
                        {32, 5, 5, 1, 10, 7, 0.4}};
  for (const CpuConvolution convolution : cpu_convolutions()) {
    for (const Case& k : cases) {
      for (const HardenMode mode : {HardenMode::dup_only, HardenMode::tmr}) {
        ModelSpec spec{"copies",
                       Shape{k.in, k.side, k.side},
                       0,
                       {conv2d_spec("conv", k.in, k.out, k.kernel, k.stride, k.kernel / 2, true),
                        simple_spec("relu", LayerType::relu)}};
        const int64_t side = (k.side + 2 * (k.kernel / 2) - k.kernel) / k.stride + 1;
        spec.layers.push_back(simple_spec("flatten", LayerType::flatten));
        spec.layers.push_back(linear_spec("fc", k.out * side * side, 3));
        Graph plain(spec);
        std::mt19937 rng(3);
        std::normal_distribution<float> normal(0.0f, 0.1f);
        for (float& v : plain.parameters().arena()) v = normal(rng);
        const std::vector<LayerHardening> plan =
            plan_hardening(plain.spec(), rank_channels_l1(plain), k.ratio);
        auto hardened = build_hardened_graph(plain, plan, mode, nullptr);
        std::vector<float> conv_out;
        const Tensor input = uniform_input(hardened->input_shape(k.batch), 11);
        run_cpu(*hardened, convolution, input, &conv_out);
        const std::vector<int64_t>& copied = plan.front().copied;
        const int64_t originals = plan.front().channels, d = static_cast<int64_t>(copied.size());
        const int64_t channels = originals + (mode == HardenMode::tmr ? 2 : 1) * d, plane = side * side;
        REQUIRE(static_cast<int64_t>(conv_out.size()) == k.batch * channels * plane);
        int64_t compared = 0, differing = 0;
        for (int64_t n = 0; n < k.batch; ++n) {
          for (int64_t c = originals; c < channels; ++c) {
            const int64_t original = copied[static_cast<size_t>((c - originals) % d)];
            const float* a = conv_out.data() + (n * channels + original) * plane;
            const float* b = conv_out.data() + (n * channels + c) * plane;
            compared += plane;
            for (int64_t p = 0; p < plane; ++p) differing += std::memcmp(a + p, b + p, 4) != 0;
          }
        }
        INFO(cpu_convolution_name(convolution) << ", " << harden_mode_name(mode) << ", conv " << k.in
                                               << " -> " << k.out << ", " << d << " copied");
        CHECK(compared > 0);
        CHECK(differing == 0);
      }
    }
  }
}

TEST_CASE("oneDNN conv2d: copies exact in one run over all rows and in copy-set runs",
          "[conv2d][onednn][harden]") {
  if (!onednn_compiled()) return;
  // Both plans of a hardened layer, on VGG-like shapes too (512 -> 512 + copies on a 2 x 2 plane, 64
  // channels on 32 x 32): one run over all rows (taken only where the prepare-time probe finds the copies
  // exact) and one run per copy set (padded to whole channel blocks). Each fault-free copy must carry its
  // original's bits on inputs the probe never saw, with a full chunk and a smaller tail.
  struct Case {
    int64_t in, originals, side, batch;
    std::vector<int64_t> copied;
    int copies;
    bool wide;  // copy-set runs of 4 blocks without the probe (wide_copy_set_runs)
  };
  std::vector<int64_t> every_seventh;  // 77 of 512 channels, as VGG-11's 15 %
  for (int64_t c = 0; c < 77; ++c) every_seventh.push_back(c * 509 % 512);
  // 3 -> 64 + 5 copies on 32 x 32: calls of 102 images in one run (80 padded rows), so 200 images end in a
  // smaller tail there. On 2 x 2: 512 + 77 takes wide copy-set runs (2 x 320 rows against 592 in 37
  // blocks), 512 + 7 (528 rows in 33 blocks against 2 x 320) and 20 + 3 do not.
  const Case cases[] = {{3, 64, 32, 200, {0, 7, 9, 33, 63}, 1, false},
                        {64, 40, 9, 3, {39, 2, 17}, 2, false},
                        {512, 512, 2, 4, {1, 100, 200, 300, 400, 511, 77}, 1, false},
                        {512, 512, 2, 3, every_seventh, 1, true},
                        {16, 20, 11, 2, {19}, 1, false},
                        {16, 20, 2, 3, {0, 5, 19}, 1, false}};
  for (const Case& k : cases) {
    for (const CopyRunChoice choice : {CopyRunChoice::one_run_if_exact, CopyRunChoice::copy_sets}) {
      Conv2dAttributes a;
      a.in_channels = k.in;
      a.out_channels = k.originals + k.copies * static_cast<int64_t>(k.copied.size());
      a.kernel = {3, 3};
      a.padding = {1, 1};
      const CopyRows rows = copy_rows(k.originals, k.copied, k.copies);
      const int64_t plane = k.side * k.side, row = k.in * 9, d = static_cast<int64_t>(k.copied.size());
      // copy_pairs, which the probe relies on, against the model file's layout: copy set j of channel
      // copied[i] is output channel originals + j * d + i.
      const std::vector<std::pair<int64_t, int64_t>> pairs = copy_pairs(rows);
      REQUIRE(static_cast<int64_t>(pairs.size()) == k.copies * d);
      for (size_t i = 0; i < pairs.size(); ++i) {
        CHECK(pairs[i].first == k.copied[i % k.copied.size()]);
        CHECK(pairs[i].second == k.originals + static_cast<int64_t>(i));
      }
      std::mt19937 rng(5);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      std::vector<float> weight(static_cast<size_t>(a.out_channels * row)),
          bias(static_cast<size_t>(a.out_channels));
      for (float& v : weight) v = normal(rng);
      for (float& v : bias) v = normal(rng);
      for (const auto& [original, copy] : copy_pairs(rows)) {
        std::copy_n(weight.data() + original * row, row, weight.data() + copy * row);
        bias[static_cast<size_t>(copy)] = bias[static_cast<size_t>(original)];
      }
      std::vector<float> in(static_cast<size_t>(k.batch * k.in * plane));
      for (float& v : in) v = normal(rng);
      std::vector<float> out(static_cast<size_t>(k.batch * a.out_channels * plane), -1.0f);
      CpuContext cpu(2, CpuConvolution::onednn);
      const Shape input{k.batch, k.in, k.side, k.side}, output{k.batch, a.out_channels, k.side, k.side};
      const auto state = prepare_onednn_conv("conv", a, input, output, rows, cpu, choice);
      forward_onednn_conv(*state, weight.data(), bias.data(), in.data(), out.data(), cpu);
      const std::string implementation = state->implementation();
      INFO(k.in << " -> " << k.originals << " + " << k.copies << " x " << k.copied.size() << " on " << k.side
                << " x " << k.side << ": " << implementation);
      const bool copy_set_runs =
          implementation.find(fmt::format("{} copy-set runs", k.copies + 1)) != std::string::npos;
      if (choice == CopyRunChoice::copy_sets || k.wide) {
        CHECK(copy_set_runs);
      } else if (copy_set_runs) {
        WARN("the probe kept copy-set runs: " << implementation);
      }
      int64_t differing = 0;
      for (int64_t n = 0; n < k.batch; ++n) {
        const float* channels = out.data() + n * a.out_channels * plane;
        for (const auto& [original, copy] : pairs)
          differing +=
              std::memcmp(channels + original * plane, channels + copy * plane, plane * sizeof(float)) != 0;
      }
      CHECK(differing == 0);
      // Every output against a direct sum in double (each channel from its own weight row and bias), to
      // the sum's rounding: a row gathered, padded or scattered to the wrong channel shows here.
      int64_t wrong = 0;
      for (int64_t n = 0; n < k.batch; ++n) {
        for (int64_t o = 0; o < a.out_channels; ++o) {
          for (int64_t y = 0; y < k.side; ++y) {
            for (int64_t x = 0; x < k.side; ++x) {
              double sum = bias[static_cast<size_t>(o)], magnitude = std::abs(sum);
              for (int64_t c = 0; c < k.in; ++c) {
                for (int64_t ky = 0; ky < 3; ++ky) {
                  for (int64_t kx = 0; kx < 3; ++kx) {
                    const int64_t iy = y + ky - 1, ix = x + kx - 1;
                    if (iy < 0 || ix < 0 || iy >= k.side || ix >= k.side) continue;
                    const double term =
                        static_cast<double>(weight[static_cast<size_t>(o * row + c * 9 + ky * 3 + kx)]) *
                        in[static_cast<size_t>(((n * k.in + c) * k.side + iy) * k.side + ix)];
                    sum += term;
                    magnitude += std::abs(term);
                  }
                }
              }
              const float got =
                  out[static_cast<size_t>(((n * a.out_channels + o) * k.side + y) * k.side + x)];
              wrong += std::abs(got - sum) > 1e-5 * magnitude + 1e-6;
            }
          }
        }
      }
      CHECK(wrong == 0);
    }
  }
}

TEST_CASE("CPU convolution reads the weights from the arena on every call (no stale reordered copy)",
          "[conv2d][onednn][fault]") {
  for (const CpuConvolution convolution : cpu_convolutions()) {
    INFO(cpu_convolution_name(convolution));
    ModelSpec spec{"test", Shape{16, 10, 10}, 0, {conv2d_spec("conv", 16, 24, 3, 1, 1, true)}};
    Graph graph(spec);
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 0.1f);
    for (float& v : graph.parameters().arena()) v = normal(rng);
    const Tensor input = uniform_input(Shape{4, 16, 10, 10}, 5);
    // One context and one plan cache for every call, as a campaign's runner keeps them.
    CpuContext cpu(2, convolution);
    PlanCache plans(graph);
    const Tensor golden = run_cpu(graph, cpu, plans, input);
    float* weight = graph.parameters().host(graph.parameters().find("conv.weight"));
    const int64_t row = 16 * 9, channel = 13;
    uint32_t bits;
    std::memcpy(&bits, weight + channel * row + 40, 4);
    const uint32_t flipped = bits ^ (1u << 30);  // an exponent bit: a huge weight
    std::memcpy(weight + channel * row + 40, &flipped, 4);
    const Tensor faulty = run_cpu(graph, cpu, plans, input);
    std::memcpy(weight + channel * row + 40, &bits, 4);
    const Tensor restored = run_cpu(graph, cpu, plans, input);
    // Only channel 13 changes, and back.
    int64_t changed = 0, changed_elsewhere = 0;
    for (int64_t i = 0; i < golden.numel(); ++i) {
      if (std::memcmp(golden.data() + i, faulty.data() + i, 4) == 0) continue;
      ++changed;
      changed_elsewhere += (i / 100) % 24 != channel;
    }
    CHECK(changed > 0);
    CHECK(changed_elsewhere == 0);
    CHECK(std::memcmp(golden.data(), restored.data(), sizeof(float) * golden.numel()) == 0);
  }
}

TEST_CASE("CPU convolution: where a non-finite weight reaches, padding included", "[conv2d][onednn][nan]") {
  // An Inf weight at tap (0, 0) of a 3x3 window, padding 1: the outputs of row 0 and column 0 have that
  // tap in the padding (docs/design.md). oneDNN's direct kernels, as PyTorch's CPU convolution (the same
  // library), do not compute padding taps, so those outputs stay finite; im2col + GEMM (ours, or oneDNN's
  // "gemm" implementation, which PyTorch gets too for a grouped convolution with several outputs per group)
  // multiplies the Inf by a padding zero: NaN. Every other output of the channel holds +Inf.
  struct Case {
    int64_t in, out, groups, side;
  };
  // On an AVX-512 machine (Zen 4) oneDNN 2.6.3 picks brgconv:avx512_core (ungrouped), brdgmm_dw:avx512_core
  // (depthwise), jit:avx512_core (8 -> 8 in 2 groups) and x64:gemm:jit (several outputs per group).
  const Case cases[] = {{3, 32, 1, 8},   {16, 32, 1, 8},  {16, 20, 1, 11},
                        {16, 16, 16, 8}, {16, 32, 16, 8}, {8, 8, 2, 8}};
  for (const CpuConvolution convolution : cpu_convolutions()) {
    for (const Case& k : cases) {
      {
        LayerSpec conv = conv2d_spec("conv", k.in, k.out, 3, 1, 1, true);
        conv.attrs<Conv2dAttributes>().groups = k.groups;
        ModelSpec spec{"test", Shape{k.in, k.side, k.side}, 0, {conv}};
        Graph graph(spec);
        std::mt19937 rng(1);
        std::uniform_real_distribution<float> positive(0.5f, 1.0f);
        for (float& v : graph.parameters().arena()) v = positive(rng);
        const int64_t row = k.in / k.groups * 9, channel = 3;
        graph.parameters().host(graph.parameters().find("conv.weight"))[channel * row] =
            std::numeric_limits<float>::infinity();
        Tensor input(Shape{2, k.in, k.side, k.side});
        for (int64_t i = 0; i < input.numel(); ++i) input[i] = 0.25f + static_cast<float>(i % 7) / 8.0f;
        CpuContext cpu(2, convolution);
        PlanCache plans(graph);
        const Tensor out = run_cpu(graph, cpu, plans, input);
        ExecContext ctx;
        ctx.cpu = &cpu;
        const LayerCpuState* state = plans.get(ctx, 2).layers[0]->cpu.get();
        const std::string implementation = state ? state->implementation() : "im2col";
        const bool skips_padding =
            implementation.find("gemm") == std::string::npos && implementation != "im2col";
        INFO(cpu_convolution_name(convolution)
             << " (" << implementation << "), conv " << k.in << " -> " << k.out << ", groups " << k.groups);
        if (convolution == CpuConvolution::onednn && k.groups == 1) CHECK(skips_padding);
        const int64_t side = k.side, plane = side * side;
        for (int64_t n = 0; n < 2; ++n) {
          for (int64_t y = 0; y < side; ++y) {
            for (int64_t x = 0; x < side; ++x) {
              const float v = out[((n * k.out + channel) * side + y) * side + x];
              if (y > 0 && x > 0) {
                REQUIRE(std::isinf(v));
              } else if (skips_padding) {
                REQUIRE(std::isfinite(v));
              } else {
                REQUIRE(std::isnan(v));
              }
            }
          }
        }
        // The other channels never see the Inf.
        for (int64_t i = 0; i < out.numel(); ++i) {
          if ((i / plane) % k.out != channel) REQUIRE(std::isfinite(out[i]));
        }
      }
    }
  }
}

TEST_CASE("FTCNN_CPU_CONV names the CPU convolution, and a build without oneDNN refuses it",
          "[conv2d][onednn]") {
  CHECK(std::string(cpu_convolution_name(CpuConvolution::im2col)) == "im2col");
  CHECK(std::string(cpu_convolution_name(CpuConvolution::onednn)) == "onednn");
  CHECK(CpuContext(1, CpuConvolution::im2col).convolution() == CpuConvolution::im2col);
  if (!onednn_compiled()) CHECK_THROWS_WITH(CpuContext(1, CpuConvolution::onednn), Catch::Contains("oneDNN"));
  const char* before = std::getenv("FTCNN_CPU_CONV");
  const std::string saved = before ? before : "";
  ::setenv("FTCNN_CPU_CONV", "gemm", 1);
  CHECK_THROWS_WITH(cpu_convolution_from_environment(),
                    Catch::Contains("FTCNN_CPU_CONV") && Catch::Contains("'gemm'"));
  ::setenv("FTCNN_CPU_CONV", "im2col", 1);
  CHECK(cpu_convolution_from_environment() == CpuConvolution::im2col);
  if (before) {
    ::setenv("FTCNN_CPU_CONV", saved.c_str(), 1);
  } else {
    ::unsetenv("FTCNN_CPU_CONV");
  }
}
