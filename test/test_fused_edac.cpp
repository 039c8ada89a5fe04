// The fusion of a correction layer (edac, tmr_vote) with the BatchNorm2d and ReLU right after it
// (docs/hardening.md): the fusion plan, fused CPU == unfused CPU (both runners fuse by default), and fused
// CUDA == unfused CUDA == CPU bit for bit,
// on correction layers fed directly (so no convolution stands between the devices) and on a small hardened
// model end to end, with NaN, +Inf, -Inf and out-of-interval values and with faulted BatchNorm parameters.
//
// The hardened model computes exactly: small-integer inputs, weights and biases, BatchNorm with eps 0.25 and
// running variance 0.75 (so sqrt(var + eps) is 1) and gamma in {0.5, 1, 2}, so every convolution and GEMM
// sum is exact in any order and cuDNN gives the CPU's bits; NaN and Inf reach a correction layer as the same
// class (NaN, +Inf or -Inf) on both devices, whatever the summation order, and leave it scrubbed or as an
// Inf. The CUDA cases are tagged [cuda]; without a GPU they print "no GPU: skipped" and pass.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/cpu_context.hpp"
#include "engine/device.hpp"
#include "engine/hardening.hpp"
#include "engine/interval_profile.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/edac.hpp"
#include "test/test_support.hpp"

#ifdef FTCNN_WITH_CUDA
#include "engine/cuda/cuda_runner.hpp"
#endif

using namespace ftcnn;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

uint32_t bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

float* tensor(Graph& graph, const std::string& name) {
  const int index = graph.parameters().find(name);
  REQUIRE(index >= 0);
  return graph.parameters().host(index);
}

[[maybe_unused]] void flip_bit(Graph& graph, const std::string& name, int64_t element, int bit) {
  float* value = tensor(graph, name) + element;
  uint32_t b = bits(*value) ^ (uint32_t{1} << bit);
  std::memcpy(value, &b, sizeof b);
}

// Random BatchNorm parameters for every BatchNorm2d: gamma of both signs, positive variances.
[[maybe_unused]] void fill_batchnorm(Graph& graph, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> gamma(-2.0f, 2.0f), shift(-1.0f, 1.0f), var(0.05f, 3.0f);
  ParameterStore& store = graph.parameters();
  for (int i = 0; i < store.size(); ++i) {
    float* values = store.host(i);
    for (int64_t k = 0; k < store.info(i).numel(); ++k) {
      switch (store.info(i).kind) {
        case ParamKind::bn_weight:
          values[k] = gamma(rng);
          break;
        case ParamKind::bn_bias:
        case ParamKind::bn_running_mean:
          values[k] = shift(rng);
          break;
        case ParamKind::bn_running_var:
          values[k] = var(rng);
          break;
        default:
          break;
      }
    }
  }
}

// Random values in [-3, 3] with NaN, +Inf, -Inf and a few huge finite values mixed in; then every third copy
// made equal to its original, as fault-free copies are.
[[maybe_unused]] Tensor corrupted_input(const Graph& graph, int64_t batch, unsigned seed) {
  Tensor t(graph.input_shape(batch));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-3.0f, 3.0f);
  std::uniform_int_distribution<int> pick(0, 24);
  const float specials[5] = {kNaN, kInf, -kInf, 1e30f, -1e30f};
  for (float& v : t.values()) {
    const int p = pick(rng);
    v = p < 5 ? specials[p] : uniform(rng);
  }
  const CopyAttributes& spec = graph.layer(0).spec().attrs<CopyAttributes>();
  const int64_t inner = t.numel() / (batch * spec.in_channels);
  for (int64_t n = 0; n < batch; ++n) {
    for (size_t k = 0; k < spec.copied.size(); k += 3) {
      const int64_t c = spec.copied[k], copy = spec.out_channels + static_cast<int64_t>(k);
      for (int64_t p = 0; p < inner; ++p) {
        t[(n * spec.in_channels + copy) * inner + p] = t[(n * spec.in_channels + c) * inner + p];
      }
    }
  }
  return t;
}

// The first element whose bits differ, or -1.
[[maybe_unused]] int64_t first_difference(const Tensor& a, const Tensor& b) {
  if (a.numel() != b.numel()) return 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    if (bits(a[i]) != bits(b[i])) return i;
  }
  return -1;
}

// The small plain model of the end-to-end case: conv -> BN -> ReLU -> maxpool -> conv -> BN -> ReLU ->
// flatten -> linear -> ReLU -> linear, on [3, 6, 6] inputs.
ModelSpec small_plain_spec() {
  ModelSpec spec;
  spec.arch = "fusion-test";
  spec.input = Shape{3, 6, 6};
  spec.num_classes = 4;
  spec.layers = {conv2d_spec("features.0", 3, 6, 3, 1, 1, true),
                 batchnorm2d_spec("features.1", 6, 0.25),
                 simple_spec("features.2", LayerType::relu),
                 pool_spec("features.3", LayerType::maxpool2d, 2, 2),
                 conv2d_spec("features.4", 6, 5, 3, 1, 1, true),
                 batchnorm2d_spec("features.5", 5, 0.25),
                 simple_spec("features.6", LayerType::relu),
                 simple_spec("flatten", LayerType::flatten),
                 linear_spec("classifier.0", 45, 8),
                 simple_spec("classifier.1", LayerType::relu),
                 linear_spec("classifier.2", 8, 4)};
  return spec;
}

// Exact arithmetic (see the file comment): weights and biases in {-1, 0, 1}, gamma in {1, 0.5, 2} (1 for
// channel 0), beta and mean small integers (mean 1 for channel 0), variance 0.75 with eps 0.25.
[[maybe_unused]] void fill_exact(Graph& graph) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> unit(-1, 1), small(-2, 2);
  const float gammas[3] = {1.0f, 0.5f, 2.0f};
  ParameterStore& store = graph.parameters();
  for (int i = 0; i < store.size(); ++i) {
    float* values = store.host(i);
    for (int64_t k = 0; k < store.info(i).numel(); ++k) {
      switch (store.info(i).kind) {
        case ParamKind::weight:
        case ParamKind::bias:
          values[k] = static_cast<float>(unit(rng));
          break;
        case ParamKind::bn_weight:
          values[k] = gammas[k % 3];
          break;
        case ParamKind::bn_bias:
          values[k] = static_cast<float>(small(rng));
          break;
        case ParamKind::bn_running_mean:
          values[k] = k == 0 ? 1.0f : static_cast<float>(small(rng));
          break;
        case ParamKind::bn_running_var:
          values[k] = 0.75f;
          break;
        default:
          break;
      }
    }
  }
}

// Small integers in [-2, 2]; with `corrupt`, NaN, +Inf, -Inf and out-of-range values (+-40, far outside the
// profiled intervals) mixed in.
[[maybe_unused]] Tensor integer_input(const Graph& graph, int64_t batch, unsigned seed, bool corrupt) {
  Tensor t(graph.input_shape(batch));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> small(-2, 2), pick(0, 29);
  const float specials[5] = {kNaN, kInf, -kInf, 40.0f, -40.0f};
  for (float& v : t.values()) {
    const int p = pick(rng);
    v = corrupt && p < 5 ? specials[p] : static_cast<float>(small(rng));
  }
  return t;
}

struct FusionCase {
  std::string what;
  ModelSpec spec;
};

// A correction layer followed by every pattern of BatchNorm2d and ReLU it absorbs: 7 channels, 3 copied out
// of order; NCHW and [N, F]; edac with intervals, intervals only, dup-only, tmr.
std::vector<FusionCase> fusion_cases() {
  const auto chain = [](LayerSpec correction, bool batchnorm, bool relu, bool rank4) {
    ModelSpec spec;
    spec.arch = "t";
    const ChannelAttributes& a = correction.attrs<ChannelAttributes>();
    spec.input = rank4 ? Shape{a.in_channels, 4, 3} : Shape{a.in_channels};
    const int64_t channels = a.out_channels;
    spec.layers.push_back(std::move(correction));
    if (batchnorm) spec.layers.push_back(batchnorm2d_spec("bn", channels));
    if (relu) spec.layers.push_back(simple_spec("relu", LayerType::relu));
    return spec;
  };
  return {
      {"edac + bn + relu", chain(edac_spec("e", 7, {5, 0, 3}, EdacMode::edac), true, true, true)},
      {"edac + bn", chain(edac_spec("e", 7, {5, 0, 3}, EdacMode::edac), true, false, true)},
      {"edac + relu", chain(edac_spec("e", 7, {5, 0, 3}, EdacMode::edac), false, true, true)},
      {"edac + relu, [N, F]", chain(edac_spec("e", 7, {5, 0, 3}, EdacMode::edac), false, true, false)},
      {"intervals only + bn + relu", chain(edac_spec("e", 7, {}, EdacMode::edac), true, true, true)},
      {"dup-only + bn + relu", chain(edac_spec("d", 7, {5, 0, 3}, EdacMode::dup_only), true, true, true)},
      {"dup-only + relu, [N, F]",
       chain(edac_spec("d", 7, {5, 0, 3}, EdacMode::dup_only), false, true, false)},
      {"tmr + bn + relu", chain(tmr_vote_spec("v", 7, {5, 0, 3}), true, true, true)},
      {"full tmr + bn", chain(tmr_vote_spec("w", 7, {0, 1, 2, 3, 4, 5, 6}), true, false, true)},
      {"tmr + relu, [N, F]", chain(tmr_vote_spec("v", 7, {5, 0, 3}), false, true, false)},
  };
}

// Runs `check(graph, input, what)` on every fusion case with corrupted inputs, then, where a BatchNorm
// follows, with faulted BatchNorm parameters (exponent and sign flips, a NaN): each fault alone, then all
// at once.
template <typename Check>
void for_each_fusion_case(const Check& check) {
  unsigned seed = 3;
  for (const FusionCase& k : fusion_cases()) {
    Graph graph(k.spec);
    const LayerSpec& correction = graph.layer(0).spec();
    const EdacAttributes* edac = correction.find_attrs<EdacAttributes>();
    if (edac != nullptr && edac->mode == EdacMode::edac) {
      const std::vector<float> lower{-2, -1, -3, 0, -2.5f, -1, -kInf}, upper{2, 1, 3, 2, 2.5f, 0.5f, kInf};
      std::copy(lower.begin(), lower.end(), tensor(graph, correction.name + ".lower"));
      std::copy(upper.begin(), upper.end(), tensor(graph, correction.name + ".upper"));
    }
    fill_batchnorm(graph, seed);
    CHECK(graph.fusion_plan(5, Device::cpu)[0] == graph.size() - 1);
    CHECK(graph.fusion_plan(5, Device::cuda)[0] == graph.size() - 1);
    const Tensor input = corrupted_input(graph, 5, seed++);
    check(graph, input, k.what);

    if (graph.size() < 2 || graph.layer(1).type() != LayerType::batchnorm2d) continue;
    struct Fault {
      const char* tensor;
      int64_t element;
      int bit;
    };
    const std::vector<Fault> faults = {{"bn.weight", 1, 30},      {"bn.weight", 4, 31},
                                       {"bn.bias", 2, 30},        {"bn.running_mean", 6, 30},
                                       {"bn.running_var", 3, 31}, {"bn.running_var", 0, 30},
                                       {"bn.running_mean", 5, 3}};
    for (const Fault& f : faults) {
      flip_bit(graph, f.tensor, f.element, f.bit);
      check(graph, input, k.what + ", " + f.tensor + " bit " + std::to_string(f.bit));
      flip_bit(graph, f.tensor, f.element, f.bit);
    }
    for (const Fault& f : faults) flip_bit(graph, f.tensor, f.element, f.bit);
    tensor(graph, "bn.weight")[2] = kNaN;
    check(graph, input, k.what + ", all faults and a NaN gamma");
  }
}

// The graph on the CPU through Graph::prepare and run, with or without the fusion pass.
Tensor run_cpu(Graph& graph, const Tensor& input, bool fuse) {
  CpuContext cpu(2);
  ExecContext ctx;
  ctx.cpu = &cpu;
  const int64_t batch = input.shape()[0];
  const GraphPlan plan = graph.prepare(ctx, batch, fuse);
  CHECK(plan.absorbed == (fuse ? graph.fusion_plan(batch, Device::cpu) : std::vector<int>(graph.size(), 0)));
  std::vector<float> arena(static_cast<size_t>(plan.arena_floats()));
  Tensor output(graph.output_shapes(batch).back());
  graph.run(ctx, plan, ParameterView(graph.parameters(), graph.parameters().arena().data()), input.data(),
            arena.data(), output.data());
  return output;
}

#ifdef FTCNN_WITH_CUDA
using ftcnn::test::skip_without_gpu;

Tensor run_cuda(Graph& graph, const Tensor& input, bool fuse) {
  CudaRunnerOptions options;
  options.fuse = fuse;
  auto runner = make_cuda_runner(graph, 0, options);
  const int64_t batch = input.shape()[0];
  Tensor output(graph.output_shapes(batch).back());
  runner->forward(input.data(), batch, output.data());
  return output;
}

// CPU, unfused CUDA and fused CUDA give the same bits.
void check_three_ways(Graph& graph, const Tensor& input, const std::string& what) {
  const Tensor cpu = test::run_graph(graph, Device::cpu, input);
  const Tensor unfused = run_cuda(graph, input, false);
  const Tensor fused = run_cuda(graph, input, true);
  const int64_t u = first_difference(unfused, cpu), f = first_difference(fused, cpu);
  INFO(what << ": unfused CUDA vs CPU first differs at " << u << (u >= 0 ? " (" : "")
            << (u >= 0 ? std::to_string(unfused[u]) + " vs " + std::to_string(cpu[u]) + ")" : "")
            << "; fused CUDA vs CPU at " << f << (f >= 0 ? " (" : "")
            << (f >= 0 ? std::to_string(fused[f]) + " vs " + std::to_string(cpu[f]) + ")" : ""));
  CHECK(u == -1);
  CHECK(f == -1);
}
#endif

}  // namespace

TEST_CASE("the fusion plan: a correction layer absorbs the BatchNorm2d and ReLU right after it",
          "[edac][fusion]") {
  ModelSpec plain = small_plain_spec();
  Graph graph(plain);
  // The plain model: nothing on CUDA; on the CPU each BatchNorm2d absorbs its ReLU.
  for (int i = 0; i < graph.size(); ++i)
    CHECK(graph.fusion_plan(2, Device::cuda)[static_cast<size_t>(i)] == 0);
  CHECK(graph.fusion_plan(2, Device::cpu) == std::vector<int>{0, 1, -1, 0, 0, 1, -1, 0, 0, 0, 0});

  const auto plan = plan_hardening(plain, rank_channels_l1(graph), 0.5);
  const auto hardened = build_hardened_graph(graph, plan, HardenMode::tmr, nullptr);
  std::vector<FusedEpilogue> epilogues;
  const std::vector<int> fused = hardened->fusion_plan(2, Device::cuda, &epilogues);
  CHECK(hardened->fusion_plan(2, Device::cpu) == fused);
  std::vector<std::string> names;
  for (int i = 0; i < hardened->size(); ++i) names.push_back(hardened->layer(i).name());
  REQUIRE(names == std::vector<std::string>{"features.0", "features.0.vote", "features.1", "features.2",
                                            "features.3", "features.4", "features.4.vote", "features.5",
                                            "features.6", "flatten", "classifier.0", "classifier.0.vote",
                                            "classifier.1", "classifier.2", "classifier.2.vote"});
  CHECK(fused == std::vector<int>{0, 2, -1, -1, 0, 0, 2, -1, -1, 0, 0, 1, -1, 0, 0});
  const ParameterStore& store = hardened->parameters();
  CHECK(epilogues[1].bn_weight == store.find("features.1.weight"));
  CHECK(epilogues[1].bn_bias == store.find("features.1.bias"));
  CHECK(epilogues[1].bn_mean == store.find("features.1.running_mean"));
  CHECK(epilogues[1].bn_var == store.find("features.1.running_var"));
  CHECK(epilogues[1].bn_eps == 0.25);
  CHECK(epilogues[1].relu);
  CHECK(epilogues[1].layers == std::vector<std::string>{"features.1", "features.2"});
  CHECK(!epilogues[11].has_batchnorm());
  CHECK(epilogues[11].relu);
  CHECK(epilogues[14].empty());

  // Only BatchNorm then ReLU, each at most once: ReLU -> BatchNorm stops after the ReLU; a second ReLU is
  // not taken.
  Graph odd(ModelSpec{
      "t",
      Shape{5, 2, 2},
      0,
      {edac_spec("e", 4, {2}, EdacMode::dup_only), simple_spec("r", LayerType::relu),
       batchnorm2d_spec("b", 4), edac_spec("f", 3, {0}, EdacMode::dup_only), batchnorm2d_spec("c", 3),
       simple_spec("s", LayerType::relu), simple_spec("t", LayerType::relu)}});
  CHECK(odd.fusion_plan(1, Device::cuda) == std::vector<int>{1, -1, 0, 2, -1, -1, 0});
  CHECK(odd.fusion_plan(1, Device::cpu) == std::vector<int>{1, -1, 0, 2, -1, -1, 0});
}

TEST_CASE("fused correction + BatchNorm + ReLU on the CPU equal the unfused layers bit for bit",
          "[edac][tmr][fusion]") {
  for_each_fusion_case([](Graph& graph, const Tensor& input, const std::string& what) {
    const Tensor unfused = run_cpu(graph, input, false), fused = run_cpu(graph, input, true);
    const int64_t at = first_difference(fused, unfused);
    INFO(what << ": fused first differs at " << at);
    CHECK(at == -1);
  });
}

TEST_CASE("BatchNorm2d + ReLU fused on the CPU equal the two layers bit for bit, in place", "[fusion]") {
  Graph graph(
      ModelSpec{"t", Shape{5, 3, 4}, 0, {batchnorm2d_spec("bn", 5), simple_spec("relu", LayerType::relu)}});
  REQUIRE(graph.fusion_plan(3, Device::cpu) == std::vector<int>{1, -1});
  CHECK(graph.fusion_plan(3, Device::cuda) == std::vector<int>{0, 0});
  // The fused step writes over its input as the two in-place layers do: no more activation memory.
  CHECK(graph.activation_layout(3, {1, -1}).live_peak <= graph.activation_layout(3, {0, 0}).live_peak);
  fill_batchnorm(graph, 21);
  Tensor input(graph.input_shape(3));
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> uniform(-3.0f, 3.0f);
  for (float& v : input.values()) v = uniform(rng);
  input[0] = kNaN;
  input[7] = kInf;
  input[19] = -kInf;
  input[30] = -0.0f;
  const auto check = [&](const std::string& what) {
    const int64_t at = first_difference(run_cpu(graph, input, true), run_cpu(graph, input, false));
    INFO(what << ": fused first differs at " << at);
    CHECK(at == -1);
  };
  check("clean");
  flip_bit(graph, "bn.weight", 1, 30);
  flip_bit(graph, "bn.running_var", 3, 31);
  check("faulted gamma and variance");
  tensor(graph, "bn.running_mean")[2] = kNaN;
  check("a NaN mean");
}

TEST_CASE("a layer refuses an epilogue it cannot apply on the device", "[edac][fusion]") {
  Graph graph(ModelSpec{"t",
                        Shape{3, 2, 2},
                        0,
                        {simple_spec("r", LayerType::relu), edac_spec("e", 2, {1}, EdacMode::dup_only)}});
  CpuContext cpu(1);
  ExecContext ctx;
  ctx.cpu = &cpu;
  FusedEpilogue epilogue;
  epilogue.relu = true;
  epilogue.layers = {"r2"};
  CHECK_THROWS_WITH(graph.layer(0).prepare(ctx, graph.input_shape(1), epilogue),
                    Catch::Contains("cannot run the following layers fused on cpu"));
}

TEST_CASE("FTCNN_CPU_FUSE turns the CPU runner's fusion off, with the same bits", "[edac][fusion]") {
  const char* saved = std::getenv("FTCNN_CPU_FUSE");
  const std::string previous = saved != nullptr ? saved : "";
  unsetenv("FTCNN_CPU_FUSE");
  CHECK(cpu_fusion_from_environment());
  Graph graph(fusion_cases().front().spec);
  fill_batchnorm(graph, 7);
  const Tensor input = corrupted_input(graph, 4, 11);
  const Tensor fused = test::run_graph(graph, Device::cpu, input);
  setenv("FTCNN_CPU_FUSE", "0", 1);
  CHECK(!cpu_fusion_from_environment());
  CHECK(first_difference(test::run_graph(graph, Device::cpu, input), fused) == -1);
  setenv("FTCNN_CPU_FUSE", "yes", 1);
  CHECK_THROWS_WITH(cpu_fusion_from_environment(), Catch::Contains("FTCNN_CPU_FUSE is 'yes'"));
  if (saved != nullptr) {
    setenv("FTCNN_CPU_FUSE", previous.c_str(), 1);
  } else {
    unsetenv("FTCNN_CPU_FUSE");
  }
}

#ifdef FTCNN_WITH_CUDA
TEST_CASE("FTCNN_CUDA_FUSE turns the CUDA runner's fusion off", "[edac][fusion]") {
  const char* saved = std::getenv("FTCNN_CUDA_FUSE");
  const std::string previous = saved != nullptr ? saved : "";
  unsetenv("FTCNN_CUDA_FUSE");
  CHECK(CudaRunnerOptions::from_environment().fuse);
  setenv("FTCNN_CUDA_FUSE", "0", 1);
  CHECK(!CudaRunnerOptions::from_environment().fuse);
  setenv("FTCNN_CUDA_FUSE", "1", 1);
  CHECK(CudaRunnerOptions::from_environment().fuse);
  setenv("FTCNN_CUDA_FUSE", "off", 1);
  CHECK_THROWS_WITH(CudaRunnerOptions::from_environment(), Catch::Contains("FTCNN_CUDA_FUSE is 'off'"));
  if (saved != nullptr) {
    setenv("FTCNN_CUDA_FUSE", previous.c_str(), 1);
  } else {
    unsetenv("FTCNN_CUDA_FUSE");
  }
}

TEST_CASE("FTCNN_CUDA_SYNC makes the CUDA runner check after every layer", "[fusion]") {
  const char* saved = std::getenv("FTCNN_CUDA_SYNC");
  const std::string previous = saved != nullptr ? saved : "";
  unsetenv("FTCNN_CUDA_SYNC");
  CHECK(!CudaRunnerOptions::from_environment().sync_each_layer);
  setenv("FTCNN_CUDA_SYNC", "1", 1);
  CHECK(CudaRunnerOptions::from_environment().sync_each_layer);
  setenv("FTCNN_CUDA_SYNC", "0", 1);
  CHECK(!CudaRunnerOptions::from_environment().sync_each_layer);
  setenv("FTCNN_CUDA_SYNC", "yes", 1);
  CHECK_THROWS_WITH(CudaRunnerOptions::from_environment(), Catch::Contains("FTCNN_CUDA_SYNC is 'yes'"));
  if (saved != nullptr) {
    setenv("FTCNN_CUDA_SYNC", previous.c_str(), 1);
  } else {
    unsetenv("FTCNN_CUDA_SYNC");
  }
}

TEST_CASE("fused correction + BatchNorm + ReLU kernels equal the unfused CUDA layers and the CPU bit for bit",
          "[cuda][edac][fusion]") {
  if (skip_without_gpu()) return;
  for_each_fusion_case([](Graph& graph, const Tensor& input, const std::string& what) {
    check_three_ways(graph, input, what);
  });
}

TEST_CASE("a fused kernel reads BatchNorm parameters from the arena on every call", "[cuda][edac][fusion]") {
  if (skip_without_gpu()) return;
  Graph graph(ModelSpec{"t",
                        Shape{6, 5, 3},
                        0,
                        {edac_spec("e", 4, {1, 3}, EdacMode::dup_only), batchnorm2d_spec("bn", 4),
                         simple_spec("relu", LayerType::relu)}});
  fill_batchnorm(graph, 5);
  const Tensor input = corrupted_input(graph, 3, 9);
  const auto flip_faults = [&graph] {
    flip_bit(graph, "bn.weight", 2, 30);
    flip_bit(graph, "bn.running_mean", 0, 29);
  };
  const Tensor clean_cpu = test::run_graph(graph, Device::cpu, input);
  flip_faults();
  const Tensor faulty_cpu = test::run_graph(graph, Device::cpu, input);
  flip_faults();
  REQUIRE(first_difference(clean_cpu, faulty_cpu) != -1);

  CudaRunnerOptions options;
  options.fuse = true;
  auto runner = make_cuda_runner(graph, 0, options);
  Tensor output(graph.output_shapes(3).back());
  runner->forward(input.data(), 3, output.data());
  REQUIRE(graph.fusion_plan(3, Device::cuda)[0] == 2);
  CHECK(first_difference(output, clean_cpu) == -1);
  // Flip an exponent bit of gamma and of a running mean in the arena; the same runner and plan see it.
  flip_faults();
  runner->sync_parameters();
  runner->forward(input.data(), 3, output.data());
  CHECK(first_difference(output, faulty_cpu) == -1);
}

TEST_CASE("a small hardened model runs fused on CUDA with the bits of the unfused run and of the CPU",
          "[cuda][edac][harden][fusion]") {
  if (skip_without_gpu()) return;
  Graph plain(small_plain_spec());
  fill_exact(plain);
  IntervalProfiler profiler(plain, 2);
  const Tensor profiling = integer_input(plain, 16, 1, false);
  profiler.add(profiling.data(), 16);
  const IntervalProfile intervals = widen_intervals(profiler.profile(), 1e-4);
  struct Case {
    HardenMode mode;
    double ratio;
  };
  for (const Case& k : {Case{HardenMode::edac, 0.5}, Case{HardenMode::edac, 0.0},
                        Case{HardenMode::dup_only, 1.0}, Case{HardenMode::tmr, 0.5}}) {
    const auto plan = plan_hardening(plain.spec(), rank_channels_l1(plain), k.ratio);
    auto graph = build_hardened_graph(plain, plan, k.mode, k.mode == HardenMode::edac ? &intervals : nullptr);
    const std::string what = fmt::format("{} at ratio {}", harden_mode_name(k.mode), k.ratio);
    check_three_ways(*graph, profiling, what + ", profiling inputs");
    const Tensor corrupted = integer_input(*graph, 7, 2, true);
    check_three_ways(*graph, corrupted, what + ", NaN, Inf and out-of-interval inputs");
    // BatchNorm faults whose results stay exact or become NaN / Inf: gamma 1 -> Inf, variance 0.75 -> -0.75
    // (NaN scale), mean 1 -> 0.5, beta's sign.
    flip_bit(*graph, "features.1.weight", 0, 30);
    flip_bit(*graph, "features.5.running_var", 2, 31);
    flip_bit(*graph, "features.1.running_mean", 0, 23);
    flip_bit(*graph, "features.5.bias", 1, 31);
    check_three_ways(*graph, corrupted, what + ", faulted BatchNorm parameters");
  }
}
#endif
