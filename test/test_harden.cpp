// Hardening end to end: interval profiling, channel rankings, the hardened architecture and parameters,
// fault-free equivalence with the plain model, correction of injected corruptions, fault targets, the model
// file round trip, and the `profile` / `harden` commands with their bad-input errors (real binary).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/evaluate.hpp"
#include "engine/fault/fault_targets.hpp"
#include "engine/hardening.hpp"
#include "engine/interval_profile.hpp"
#include "engine/io/hdf5_file.hpp"
#include "engine/io/interval_file.hpp"
#include "engine/io/model_file.hpp"
#include "engine/io/ranking_file.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/conv2d.hpp"
#include "engine/runner.hpp"
#include "engine/vulnerability/vulnerability.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// The small model's fixture images plus 12 synthetic ones (N(0, 1) per value, roughly what preprocessed
// CIFAR images look like): the profiling set of these tests.
Tensor profiling_inputs(const Graph& graph) {
  const Tensor fixture = H5File::open_read(test::fixture_path("model_small.h5")).read_tensor("fixture_input");
  Tensor inputs(graph.input_shape(fixture.shape()[0] + 12));
  std::copy(fixture.data(), fixture.data() + fixture.numel(), inputs.data());
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t i = fixture.numel(); i < inputs.numel(); ++i) inputs[i] = normal(rng);
  return inputs;
}

IntervalProfile profile_of(Graph& graph, const Tensor& inputs) {
  IntervalProfiler profiler(graph, 2);
  profiler.add(inputs.data(), inputs.shape()[0]);
  return profiler.profile();
}

std::vector<int32_t> predictions(const Tensor& logits) {
  const int64_t classes = logits.shape()[1];
  std::vector<int32_t> result;
  for (int64_t n = 0; n < logits.shape()[0]; ++n)
    result.push_back(top1(logits.data() + n * classes, classes));
  return result;
}

// As `ftcnn harden` does by default: l1 ranking, intervals widened by 1e-4.
std::unique_ptr<Graph> harden(const Graph& plain, HardenMode mode, double ratio,
                              const IntervalProfile& intervals) {
  const auto plan = plan_hardening(plain.spec(), rank_channels_l1(plain), ratio);
  const IntervalProfile widened = widen_intervals(intervals, 1e-4);
  return build_hardened_graph(plain, plan, mode, &widened);
}

// Equal within `rel` x the channel's largest bound magnitude (the scale widen_intervals uses).
bool close(const LayerInterval& a, const LayerInterval& b, double rel) {
  if (a.lower.size() != b.lower.size()) return false;
  for (size_t c = 0; c < a.lower.size(); ++c) {
    const double scale = std::max(std::fabs(b.lower[c]), std::fabs(b.upper[c]));
    if (std::fabs(a.lower[c] - b.lower[c]) > rel * scale ||
        std::fabs(a.upper[c] - b.upper[c]) > rel * scale) {
      return false;
    }
  }
  return true;
}

// The first element of row `row` (an output channel's weights) of a parameter tensor.
float* row_of(Graph& graph, const std::string& tensor, int64_t row) {
  ParameterStore& store = graph.parameters();
  const int index = store.find(tensor);
  REQUIRE(index >= 0);
  return store.host(index) + row * (store.info(index).numel() / store.info(index).shape[0]);
}

using RunResult = ftcnn::test::CommandResult;
using ftcnn::test::expect_one_line_error;
using ftcnn::test::run_ftcnn;
void write_int_dataset(H5File& file, const std::string& path, const std::vector<int64_t>& values) {
  const hsize_t dims[1] = {values.size()};
  H5Id space(H5Screate_simple(1, dims, nullptr));
  H5Id dataset(H5Dcreate2(file.root(), path.c_str(), H5T_STD_I32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT));
  REQUIRE(dataset.valid());
  REQUIRE(H5Dwrite(dataset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
}

// A MobileNetV2-like stack with seeded random parameters: a stem, a depthwise 3x3 (groups = channels) with
// BatchNorm and ReLU6, a grouped 1x1 that is not depthwise (groups = 4: 2 inputs and 3 outputs per group),
// pooling and a classifier.
std::unique_ptr<Graph> grouped_net() {
  LayerSpec depthwise = conv2d_spec("features.1", 8, 8, 3, 1, 1, false);
  depthwise.attrs<Conv2dAttributes>().groups = 8;
  LayerSpec grouped = conv2d_spec("features.4", 8, 12, 1, 1, 0, true);
  grouped.attrs<Conv2dAttributes>().groups = 4;
  ModelSpec spec{
      "grouped",
      Shape{3, 8, 8},
      10,
      {conv2d_spec("features.0", 3, 8, 3, 1, 1, true), depthwise, batchnorm2d_spec("features.2", 8),
       simple_spec("features.3", LayerType::relu6), grouped, simple_spec("features.5", LayerType::relu),
       pool_spec("features.6", LayerType::maxpool2d, 2, 2), simple_spec("flatten", LayerType::flatten),
       linear_spec("classifier", 12 * 4 * 4, 10)}};
  auto graph = std::make_unique<Graph>(spec);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-0.5f, 0.5f);
  for (float& v : graph->parameters().arena()) v = uniform(rng);
  float* var = graph->parameters().host(graph->parameters().find("features.2.running_var"));
  for (int c = 0; c < 8; ++c) var[c] = 0.5f + std::fabs(var[c]);
  return graph;
}

// Runs `graph` on the CPU and checks, at every protected layer's output, that each copy channel holds its
// original's bits for every image and position; returns the logits.
Tensor run_checking_copies(Graph& graph, const Tensor& inputs) {
  std::map<int, std::pair<int64_t, std::vector<int64_t> > > copies_of;  // protected node -> (C, copy list)
  std::map<int, int> copies_each;
  for (int i = 1; i < graph.size(); ++i) {
    const LayerSpec& l = graph.spec().layers[static_cast<size_t>(i)];
    if (const CopyAttributes* c = l.find_attrs<CopyAttributes>()) {
      copies_of[i - 1] = {c->out_channels, c->copied};
      copies_each[i - 1] = c->copies_each();
    }
  }
  REQUIRE(!copies_of.empty());
  int64_t checked = 0;
  LayerHooks hooks;
  hooks.after = [&](int layer, const Shape& shape, float* out) {
    const auto it = copies_of.find(layer);
    if (it == copies_of.end()) return;
    const auto& [channels, copied] = it->second;
    const int64_t grown = shape[1], inner = shape.per_item() / grown, d = static_cast<int64_t>(copied.size());
    for (int64_t n = 0; n < shape[0]; ++n)
      for (int each = 0; each < copies_each[layer]; ++each)
        for (int64_t k = 0; k < d; ++k) {
          const float* original = out + (n * grown + copied[static_cast<size_t>(k)]) * inner;
          const float* copy = out + (n * grown + channels + each * d + k) * inner;
          INFO(graph.spec().layers[static_cast<size_t>(layer)].name << " image " << n << " copy " << k);
          REQUIRE(std::memcmp(original, copy, static_cast<size_t>(inner) * sizeof(float)) == 0);
          ++checked;
        }
  };
  const int64_t batch = inputs.shape()[0];
  Tensor logits(Shape{batch, graph.spec().num_classes});
  make_runner(graph, Device::cpu, 2)->forward_device(inputs.data(), batch, logits.data(), &hooks, nullptr);
  CHECK(checked > 0);
  return logits;
}

const std::string kDefaultModel = std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5";
const std::string kDefaultData = std::string(FTCNN_SOURCE_DIR) + "/data/default/cifar10-test-slice";

}  // namespace

TEST_CASE("ratios become copy counts: ceil, but 0.15 x 20 is 3", "[harden]") {
  CHECK(copies_for_ratio(0.15, 20) == 3);
  CHECK(copies_for_ratio(0.1, 10) == 1);
  CHECK(copies_for_ratio(0.5, 7) == 4);
  CHECK(copies_for_ratio(0.01, 32) == 1);
  CHECK(copies_for_ratio(0.0, 32) == 0);
  CHECK(copies_for_ratio(1.0, 32) == 32);
  CHECK(copies_for_ratio(0.3, 10) == 3);
  CHECK_THROWS_WITH(copies_for_ratio(1.5, 10),
                    Catch::Contains("the hardening ratio must be in [0, 1], got 1.5"));
  CHECK_THROWS_WITH(copies_for_ratio(-0.1, 10), Catch::Contains("the hardening ratio must be in [0, 1]"));
}

TEST_CASE("l1 and random channel rankings", "[harden]") {
  ModelSpec spec{"t", Shape{2}, 3, {linear_spec("fc", 2, 3, false)}};
  Graph graph(spec);
  const std::vector<float> weights{1, 1, 3, 0, -1, -1};  // L1 norms 2, 3, 2
  std::copy(weights.begin(), weights.end(), graph.parameters().host(0));
  CHECK(rank_channels_l1(graph).at("fc") == std::vector<int64_t>{1, 0, 2});  // ties keep index order

  Graph wide(ModelSpec{"t", Shape{2}, 128, {linear_spec("fc", 2, 128)}});
  const auto a = rank_channels_random(wide, 5).at("fc"), b = rank_channels_random(wide, 5).at("fc");
  const auto c = rank_channels_random(wide, 6).at("fc");
  CHECK(a == b);
  CHECK(a != c);
  CHECK(std::set<int64_t>(a.begin(), a.end()).size() == 128);

  // The same order `vuln --method random --seed 5` scores (one counter-based stream for every command).
  VulnerabilityOptions random;
  random.method = VulnerabilityMethod::random;
  random.seed = 5;
  const VulnerabilityResult scored = compute_vulnerability(wide, 0, {}, random);
  CHECK(rank_channels(scored.layers.at(0).scores) == a);
}

TEST_CASE("profiled intervals hold every conv/linear output and do not depend on batching", "[harden]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  const Tensor inputs = profiling_inputs(*model.graph);
  const IntervalProfile whole = profile_of(*model.graph, inputs);
  CHECK(whole.images == 16);
  REQUIRE(whole.layers.size() == 5);  // features.0, .4, .8, classifier.1, .3
  CHECK(whole.layers[0].layer == "features.0");
  CHECK(whole.layers[0].lower.size() == 32);
  CHECK(whole.layers[4].layer == "classifier.3");
  for (const LayerInterval& l : whole.layers) {
    for (size_t c = 0; c < l.lower.size(); ++c) CHECK(l.lower[c] <= l.upper[c]);
  }
  // The logits' interval holds the logits.
  const Tensor logits = test::run_graph(*model.graph, Device::cpu, inputs);
  for (int64_t n = 0; n < 16; ++n) {
    for (int64_t c = 0; c < 10; ++c) {
      CHECK(logits[n * 10 + c] >= whole.layers[4].lower[static_cast<size_t>(c)]);
      CHECK(logits[n * 10 + c] <= whole.layers[4].upper[static_cast<size_t>(c)]);
    }
  }
  // Three uneven batches give the same intervals, up to rounding: OpenBLAS sums in another order for
  // another batch size or thread count (which is why `harden` widens them a little).
  IntervalProfiler split(*model.graph, 1);
  const int64_t per_item = inputs.numel() / 16;
  split.add(inputs.data(), 5);
  split.add(inputs.data() + 5 * per_item, 10);
  split.add(inputs.data() + 15 * per_item, 1);
  for (size_t i = 0; i < whole.layers.size(); ++i) {
    INFO(whole.layers[i].layer);
    CHECK(close(split.profile().layers[i], whole.layers[i], 1e-5));
  }
  // Widening moves each bound out by the margin times the channel's largest magnitude.
  const IntervalProfile wide = widen_intervals(whole, 0.01);
  const float lo = whole.layers[0].lower[0], hi = whole.layers[0].upper[0];
  const double m = 0.01 * std::max(std::fabs(lo), std::fabs(hi));
  CHECK(wide.layers[0].lower[0] == static_cast<float>(lo - m));
  CHECK(wide.layers[0].upper[0] == static_cast<float>(hi + m));
  CHECK(widen_intervals(whole, 0.0).layers[3].upper == whole.layers[3].upper);
  CHECK_THROWS_WITH(widen_intervals(whole, -1.0),
                    Catch::Contains("the interval margin must be a finite value >= 0"));
  // A file round trip keeps them, and the runner still works on the graph afterwards.
  test::TempDir dir;
  IntervalProfile named = whole;
  named.provenance_json = R"({"model_checksum": "x"})";
  write_interval_file(dir.file("i.h5"), named);
  const IntervalProfile back = read_interval_file(dir.file("i.h5"));
  REQUIRE(back.layers.size() == 5);
  CHECK(back.find("features.8")->upper == whole.find("features.8")->upper);
  CHECK(back.images == 16);
  CHECK(back.provenance_json == named.provenance_json);
  CHECK(test::compare(test::run_graph(*model.graph, Device::cpu, inputs), logits, 0, 0).ok);
}

TEST_CASE("hardened architectures: grown layers, correction layers, copied rows", "[harden]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  const Graph& plain = *model.graph;
  const IntervalProfile intervals = profile_of(*model.graph, profiling_inputs(plain));
  const auto rankings = rank_channels_l1(plain);
  const auto plan = plan_hardening(plain.spec(), rankings, 0.25);
  REQUIRE(plan.size() == 5);
  CHECK(plan[0].copied.size() == 8);   // 32 channels
  CHECK(plan[3].copied.size() == 32);  // classifier.1: 128
  CHECK(plan[4].copied.size() == 10);  // the output layer: all
  const auto& top = rankings.at("features.0");
  CHECK(std::set<int64_t>(plan[0].copied.begin(), plan[0].copied.end()) ==
        std::set<int64_t>(top.begin(), top.begin() + 8));

  const auto graph = build_hardened_graph(plain, plan, HardenMode::edac, &intervals);
  const ModelSpec& spec = graph->spec();
  REQUIRE(spec.layers.size() == plain.spec().layers.size() + 5);
  CHECK(spec.layers[0].name == "features.0");
  CHECK(out_channels_of(spec.layers[0]) == 40);
  CHECK(spec.layers[1].name == "features.0.edac");
  CHECK(spec.layers[1].type == LayerType::edac);
  CHECK(spec.layers[1].attrs<CopyAttributes>().copied == plan[0].copied);
  CHECK(spec.layers[2].name == "features.1");  // BatchNorm after the edac layer
  CHECK(spec.layers.back().name == "classifier.3.edac");
  CHECK(graph->output_shapes(2).back() == Shape({2, 10}));

  const ParameterStore& store = graph->parameters();
  const int w = store.find("features.0.weight");
  CHECK(store.info(w).shape == Shape({40, 3, 3, 3}));
  const int64_t row = 27;
  const float* plain_w = plain.parameters().host(plain.parameters().find("features.0.weight"));
  for (int64_t k = 0; k < 8; ++k) {
    const int64_t c = plan[0].copied[static_cast<size_t>(k)];
    CHECK(std::equal(plain_w + c * row, plain_w + (c + 1) * row, store.host(w) + (32 + k) * row));
  }
  CHECK(std::equal(plain_w, plain_w + 32 * row, store.host(w)));
  const int lower = store.find("features.4.edac.lower");
  REQUIRE(lower >= 0);
  CHECK(store.info(lower).kind == ParamKind::edac_lower);
  CHECK(std::equal(intervals.find("features.4")->lower.begin(), intervals.find("features.4")->lower.end(),
                   store.host(lower)));

  // tmr: two copies per copied channel, at C + k and C + D + k.
  const auto tmr = build_hardened_graph(plain, plan, HardenMode::tmr, nullptr);
  CHECK(out_channels_of(tmr->spec().layers[0]) == 48);
  CHECK(tmr->spec().layers[1].type == LayerType::tmr_vote);
  const int tw = tmr->parameters().find("features.0.weight");
  const int64_t c0 = plan[0].copied[0];
  CHECK(std::equal(plain_w + c0 * row, plain_w + (c0 + 1) * row, tmr->parameters().host(tw) + 40 * row));
  // dup-only: no bounds anywhere.
  const auto dup = build_hardened_graph(plain, plan, HardenMode::dup_only, nullptr);
  for (const ParameterInfo& p : dup->parameters().infos()) CHECK(p.kind != ParamKind::edac_lower);
}

TEST_CASE("fault-free, a hardened model predicts exactly as the plain one on its profiling inputs",
          "[harden]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  const Tensor inputs = profiling_inputs(*model.graph);
  const IntervalProfile intervals = profile_of(*model.graph, inputs);
  const Tensor plain = test::run_graph(*model.graph, Device::cpu, inputs);
  struct Case {
    HardenMode mode;
    double ratio;
  };
  for (const Case& k :
       {Case{HardenMode::edac, 0.0}, Case{HardenMode::edac, 0.15}, Case{HardenMode::edac, 1.0},
        Case{HardenMode::dup_only, 0.5}, Case{HardenMode::tmr, 0.15}, Case{HardenMode::tmr, 1.0}}) {
    const auto hardened = harden(*model.graph, k.mode, k.ratio, intervals);
    const Tensor logits = test::run_graph(*hardened, Device::cpu, inputs);
    INFO(harden_mode_name(k.mode) << " at ratio " << k.ratio);
    CHECK(predictions(logits) == predictions(plain));
    // The copies compute what the originals do, and every profiled value is inside its interval: the
    // logits are the plain model's, to the bit where the GEMM sums each row alike.
    const test::Comparison c = test::compare(logits, plain, 1e-5, 1e-5);
    INFO(c.message);
    CHECK(c.ok);
  }
}

TEST_CASE("a hardened model corrects corrupted channels", "[harden]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  const Tensor inputs = profiling_inputs(*model.graph);
  const IntervalProfile intervals = profile_of(*model.graph, inputs);
  const Tensor plain = test::run_graph(*model.graph, Device::cpu, inputs);

  SECTION("edac, everything duplicated: a huge original weight is outvoted by its copy") {
    auto graph = harden(*model.graph, HardenMode::edac, 1.0, intervals);
    row_of(*graph, "features.0.weight", 5)[3] = 1e30f;
    row_of(*graph, "classifier.1.weight", 7)[0] = -1e30f;
    const Tensor logits = test::run_graph(*graph, Device::cpu, inputs);
    CHECK(test::compare(logits, plain, 1e-5, 1e-5).ok);
  }
  SECTION("edac, a corrupted copy is ignored too") {
    auto graph = harden(*model.graph, HardenMode::edac, 1.0, intervals);
    row_of(*graph, "features.4.weight", 64 + 3)[0] = 1e30f;  // the copy of channel 3
    CHECK(test::compare(test::run_graph(*graph, Device::cpu, inputs), plain, 1e-5, 1e-5).ok);
  }
  SECTION("edac: a NaN copy is scrubbed to 0 first, which then counts as a value (the table's rule)") {
    auto graph = harden(*model.graph, HardenMode::edac, 1.0, intervals);
    row_of(*graph, "features.4.weight", 64 + 3)[0] = kNaN;
    const Tensor logits = test::run_graph(*graph, Device::cpu, inputs);
    for (float v : logits.values()) CHECK(std::isfinite(v));
  }
  SECTION("intervals only: a NaN channel is zeroed instead of reaching the logits") {
    auto graph = harden(*model.graph, HardenMode::edac, 0.0, intervals);
    row_of(*graph, "features.4.weight", 11)[2] = kNaN;
    const Tensor logits = test::run_graph(*graph, Device::cpu, inputs);
    for (float v : logits.values()) CHECK(std::isfinite(v));
    // The same corruption in the plain model gives NaN logits.
    Model broken = load_model(test::fixture_path("model_small.h5"));
    row_of(*broken.graph, "features.4.weight", 11)[2] = kNaN;
    const Tensor bad = test::run_graph(*broken.graph, Device::cpu, inputs);
    CHECK(std::any_of(bad.values().begin(), bad.values().end(), [](float v) { return std::isnan(v); }));
  }
  SECTION("tmr: one corrupted copy is outvoted") {
    auto graph = harden(*model.graph, HardenMode::tmr, 1.0, intervals);
    row_of(*graph, "classifier.3.weight", 10 + 4)[9] = 1e20f;  // first copy of channel 4
    row_of(*graph, "features.8.weight", 2)[1] = kNaN;          // original channel 2
    CHECK(test::compare(test::run_graph(*graph, Device::cpu, inputs), plain, 1e-5, 1e-5).ok);
  }
  SECTION("dup-only: a NaN copy gives min(value, 0), never NaN") {
    auto graph = harden(*model.graph, HardenMode::dup_only, 1.0, intervals);
    row_of(*graph, "features.0.weight", 32)[0] = kNaN;
    const Tensor logits = test::run_graph(*graph, Device::cpu, inputs);
    for (float v : logits.values()) CHECK(std::isfinite(v));
  }
}

TEST_CASE(
    "grouped and depthwise convolutions are hardened: copies carry their originals' bits, faults are "
    "corrected",
    "[harden]") {
  const std::unique_ptr<Graph> plain = grouped_net();
  const Tensor inputs = test::normal_input(*plain, 16, 11);
  const IntervalProfile intervals = profile_of(*plain, inputs);
  std::vector<const char*> backends{"im2col"};
#ifdef FTCNN_WITH_ONEDNN
  backends.push_back("onednn");
#endif
  for (const char* backend : backends) {
    const test::ScopedEnvironment convolution("FTCNN_CPU_CONV", backend);
    const Tensor expected = test::run_graph(*plain, Device::cpu, inputs);
    struct Case {
      HardenMode mode;
      double ratio;
      const char* corrupt;  // a weight row set to a huge value or NaN, outvoted by the other copies
      int64_t row;
      float value;
    };
    // features.1 (depthwise) has 8 channels, features.4 (grouped) 12: at ratio 1 the first copy of channel c
    // is row 8 + c (12 + c), the second (TMR) 16 + c (24 + c); at ratio 0.5 row 12 is the first copy of
    // features.4's first copied channel.
    for (const Case& k : {Case{HardenMode::edac, 1.0, "features.1.weight", 8 + 3, 1e30f},
                          Case{HardenMode::edac, 0.5, "features.4.weight", 12, 1e30f},
                          Case{HardenMode::dup_only, 1.0, "features.4.weight", 12 + 5, 1e30f},
                          Case{HardenMode::tmr, 1.0, "features.1.weight", 2, kNaN},
                          Case{HardenMode::tmr, 1.0, "features.4.weight", 24 + 11, -1e30f}}) {
      INFO(backend << ": " << harden_mode_name(k.mode) << " at ratio " << k.ratio << ", " << k.corrupt
                   << " row " << k.row);
      const auto hardened = harden(*plain, k.mode, k.ratio, intervals);
      // The depthwise layer's work: one whole-layer run per copy set, whatever the ratio.
      const int depthwise = 2;  // after features.0 and its correction layer
      REQUIRE(hardened->layer(depthwise).name() == "features.1");
      const Shape depthwise_input = plain->node_inputs(1, plain->output_shapes(1)).front();
      CHECK(hardened->layer(depthwise).macs_per_item(depthwise_input) ==
            (k.mode == HardenMode::tmr ? 3 : 2) * plain->layer(1).macs_per_item(depthwise_input));
      const Tensor logits = run_checking_copies(*hardened, inputs);
      const test::Comparison c = test::compare(logits, expected, 1e-5, 1e-5);
      INFO(c.message);
      CHECK(c.ok);
      CHECK(predictions(logits) == predictions(expected));
      // The corruption: EDAC keeps the value inside the interval (or scrubs the NaN original to 0 and takes
      // the copy), dup-only takes the smaller, TMR the two that agree.
      row_of(*hardened, k.corrupt, k.row)[0] = k.value;
      const Tensor corrected = test::run_graph(*hardened, Device::cpu, inputs);
      if (k.mode == HardenMode::dup_only) {
        for (float v : corrected.values()) CHECK(std::isfinite(v));
      } else {
        CHECK(std::memcmp(corrected.data(), logits.data(),
                          static_cast<size_t>(logits.numel()) * sizeof(float)) == 0);
      }
    }
  }
}

TEST_CASE("hardened grouped convolutions on CUDA equal the CPU", "[harden][cuda]") {
  if (test::skip_without_gpu()) return;
  const std::unique_ptr<Graph> plain = grouped_net();
  const Tensor inputs = test::normal_input(*plain, 16, 12);
  const IntervalProfile intervals = profile_of(*plain, inputs);
  for (HardenMode mode : {HardenMode::edac, HardenMode::dup_only, HardenMode::tmr}) {
    INFO(harden_mode_name(mode));
    const auto hardened = harden(*plain, mode, 0.5, intervals);
    const Tensor cpu = test::run_graph(*hardened, Device::cpu, inputs);
    const Tensor cuda = test::run_graph(*hardened, Device::cuda, inputs);
    const test::Comparison c = test::compare(cuda, cpu, 1e-5, 1e-5);
    INFO(c.message);
    CHECK(c.ok);
    // A corrupted copy of a depthwise channel changes nothing on CUDA either (TMR votes, EDAC keeps the
    // value inside the interval; dup-only's min may differ, so it is left out here).
    if (mode == HardenMode::dup_only) continue;
    row_of(*hardened, "features.1.weight", 8)[0] = 1e30f;  // the first copy of the first copied channel
    const Tensor corrupted = test::run_graph(*hardened, Device::cuda, inputs);
    CHECK(std::memcmp(corrupted.data(), cuda.data(), static_cast<size_t>(cuda.numel()) * sizeof(float)) == 0);
  }
}

TEST_CASE("copies and interval bounds are fault targets", "[harden][fault]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  const IntervalProfile intervals = profile_of(*model.graph, profiling_inputs(*model.graph));
  const auto graph = harden(*model.graph, HardenMode::edac, 0.25, intervals);
  const FaultTargets bounds(graph->parameters(), parse_target_selection("kind=edac_lower,kind=edac_upper"));
  CHECK(bounds.groups().size() == 5);  // one group per edac layer
  CHECK(bounds.group_layer(0) == "features.0.edac");
  CHECK(bounds.total_elements() == 2 * (32 + 64 + 128 + 128 + 10));
  const FaultTargets conv(graph->parameters(), parse_target_selection("layer=features.0"));
  CHECK(conv.total_elements() == (32 + 8) * 27);  // the copies are part of the layer's weight
  const FaultTargets all(graph->parameters(), parse_target_selection(""));
  CHECK(all.total_elements() == graph->parameters().total_elements());
  CHECK(!is_trainable(ParamKind::edac_lower));
  CHECK(std::string(param_kind_name(ParamKind::edac_upper)) == "edac_upper");
}

TEST_CASE("a hardened model file round-trips", "[harden]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  const Tensor inputs = profiling_inputs(*model.graph);
  const IntervalProfile intervals = profile_of(*model.graph, inputs);
  test::TempDir dir;
  for (HardenMode mode : {HardenMode::edac, HardenMode::dup_only, HardenMode::tmr}) {
    const auto graph = harden(*model.graph, mode, 0.3, intervals);
    ModelInfo info = model.info;
    info.provenance_json = R"({"hardening": {"mode": "test"}})";
    save_model(dir.file("h.h5"), *graph, info);
    Model back = load_model(dir.file("h.h5"));
    INFO(harden_mode_name(mode));
    CHECK(model_spec_to_json(back.graph->spec()) == model_spec_to_json(graph->spec()));
    CHECK(back.graph->parameters().checksum() == graph->parameters().checksum());
    CHECK(back.info.provenance_json == info.provenance_json);
    const Tensor expected = test::run_graph(*graph, Device::cpu, inputs);
    CHECK(test::compare(test::run_graph(*back.graph, Device::cpu, inputs), expected, 0, 0).ok);
  }
}

TEST_CASE("hardening input errors name what is wrong", "[harden]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  const Graph& plain = *model.graph;
  IntervalProfile intervals = profile_of(*model.graph, profiling_inputs(plain));
  const auto plan = plan_hardening(plain.spec(), rank_channels_l1(plain), 0.5);
  IntervalProfile partial = intervals;
  partial.layers.erase(partial.layers.begin() + 2);
  partial.source = "i.h5";
  CHECK_THROWS_WITH(build_hardened_graph(plain, plan, HardenMode::edac, &partial),
                    Catch::Contains("i.h5: no intervals for layer 'features.8'"));
  CHECK_THROWS_WITH(build_hardened_graph(plain, plan, HardenMode::edac, nullptr),
                    Catch::Contains("needs detection intervals"));
  CHECK_THROWS_WITH(harden_mode_from_name("triple"), Catch::Contains("unknown hardening mode 'triple'"));
  // A hardened model is neither profiled nor hardened again.
  const auto hardened = build_hardened_graph(plain, plan, HardenMode::edac, &intervals);
  CHECK_THROWS_WITH(IntervalProfiler(*hardened), Catch::Contains("profile the plain model"));
  CHECK_THROWS_WITH(rank_channels_l1(*hardened), Catch::Contains("hardened already"));

  // Ranking files: a missing layer, a non-permutation.
  test::TempDir dir;
  {
    H5File file = H5File::create(dir.file("r.h5"));
    for (const LayerSpec* l : weighted_layers_of(plain.spec())) {
      if (l->name == "classifier.1") continue;
      file.create_group(l->name);
      std::vector<int64_t> order(static_cast<size_t>(out_channels_of(*l)));
      std::iota(order.rbegin(), order.rend(), 0);  // reversed
      if (l->name == "features.4") order[0] = order[1];
      write_int_dataset(file, l->name + "/ranking", order);
    }
  }
  CHECK_THROWS_WITH(read_ranking_file(dir.file("r.h5"), plain), Catch::Contains("lists channel 62 twice"));
  {
    H5File file = H5File::create(dir.file("good.h5"));
    for (const LayerSpec* l : weighted_layers_of(plain.spec())) {
      file.create_group(l->name);
      std::vector<int64_t> order(static_cast<size_t>(out_channels_of(*l)));
      std::iota(order.rbegin(), order.rend(), 0);
      write_int_dataset(file, l->name + "/ranking", order);
    }
  }
  const ChannelRankings read = read_ranking_file(dir.file("good.h5"), plain);
  CHECK(read.at("features.0").front() == 31);
  CHECK(plan_hardening(plain.spec(), read, 0.1)[0].copied == std::vector<int64_t>{28, 29, 30, 31});
}

TEST_CASE("ftcnn profile and harden: files, info, eval", "[harden][cli]") {
  test::TempDir dir;
  const std::string intervals = dir.file("intervals.h5"), hardened = dir.file("hardened.h5");
  RunResult r = run_ftcnn("profile --model " + kDefaultModel + " --data " + kDefaultData +
                          " --split test --images 64 --batch 50 --threads 2 --out " + intervals);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("intervals of 5 layers over 64 images") != std::string::npos);
  const IntervalProfile profile = read_interval_file(intervals);
  CHECK(profile.layers.size() == 5);
  CHECK(profile.images == 64);
  const auto provenance = nlohmann::json::parse(profile.provenance_json);
  CHECK(provenance.at("split") == "test");

  r = run_ftcnn("harden --model " + kDefaultModel + " --intervals " + intervals +
                " --ratio 0.15 --mode edac --ranking-method l1 --out " + hardened + " --json");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto report = nlohmann::json::parse(r.output);
  CHECK(report.at("hardening").at("mode") == "edac");
  CHECK(report.at("hardening").at("layers").at(0).at("copied") == 5);  // ceil(0.15 x 32)

  Model model = load_model(hardened);
  const auto stored = nlohmann::json::parse(model.info.provenance_json);
  CHECK(stored.at("hardening").at("ratio") == 0.15);
  CHECK(stored.at("hardening").at("ranking").at("method") == "l1");
  CHECK(stored.at("hardening").at("intervals").at("file") == intervals);
  CHECK(stored.at("hardening").at("output_layer") == "classifier.3");

  r = run_ftcnn("info --model " + hardened);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("features.0.edac") != std::string::npos);

  // On its profiling images the hardened model classifies exactly as the plain one.
  const RunResult plain = run_ftcnn("eval --model " + kDefaultModel + " --data " + kDefaultData +
                                    " --limit 64 --threads 2 --json");
  const RunResult hard =
      run_ftcnn("eval --model " + hardened + " --data " + kDefaultData + " --limit 64 --threads 2 --json");
  REQUIRE(plain.exit_code == 0);
  REQUIRE(hard.exit_code == 0);
  CHECK(nlohmann::json::parse(hard.output).at("correct") ==
        nlohmann::json::parse(plain.output).at("correct"));

  // tmr and dup-only need no intervals.
  CHECK(run_ftcnn("harden --model " + kDefaultModel +
                  " --ratio 1 --mode tmr --ranking-method random --seed 3 --out " + dir.file("tmr.h5"))
            .exit_code == 0);
  CHECK(run_ftcnn("harden --model " + kDefaultModel +
                  " --ratio 0.5 --mode dup-only --ranking-method l1 --out " + dir.file("dup.h5"))
            .exit_code == 0);
}

TEST_CASE("ftcnn harden: bad input gives one-line errors", "[harden][cli][bad-input]") {
  test::TempDir dir;
  const std::string intervals = dir.file("intervals.h5");
  REQUIRE(run_ftcnn("profile --model " + kDefaultModel + " --data " + kDefaultData +
                    " --split test --images 8 --out " + intervals)
              .exit_code == 0);
  const std::string base = "harden --model " + kDefaultModel + " --out " + dir.file("h.h5") + " ";
  expect_one_line_error(run_ftcnn(base + "--intervals " + intervals + " --ratio 1.5 --ranking-method l1"),
                        "--ratio must be in [0, 1], got 1.5");
  expect_one_line_error(run_ftcnn(base + "--intervals " + intervals + " --ratio -0.1 --ranking-method l1"),
                        "--ratio must be in [0, 1]");
  expect_one_line_error(run_ftcnn(base + "--ratio 0.5 --mode triple --ranking-method l1"),
                        "unknown hardening mode 'triple'");
  expect_one_line_error(run_ftcnn(base + "--ratio 0.5 --ranking-method l1"), "--mode edac needs --intervals");
  expect_one_line_error(run_ftcnn(base + "--intervals " + intervals + " --ratio 0.5"),
                        "give one ranking source: --scores l1|random, or --scores FILE");
  expect_one_line_error(run_ftcnn(base + "--intervals " + intervals + " --ratio 0.5 --ranking-method l2"),
                        "unknown method 'l2'");
  expect_one_line_error(
      run_ftcnn(base + "--intervals " + dir.file("absent.h5") + " --ratio 0.5 --ranking-method l1"),
      "absent.h5: no such file");
  // An interval file without one of the model's layers.
  {
    IntervalProfile partial = read_interval_file(intervals);
    partial.layers.erase(std::remove_if(partial.layers.begin(), partial.layers.end(),
                                        [](const LayerInterval& l) { return l.layer == "features.4"; }),
                         partial.layers.end());
    REQUIRE(partial.layers.size() == 4);
    write_interval_file(dir.file("partial.h5"), partial);
  }
  expect_one_line_error(
      run_ftcnn(base + "--intervals " + dir.file("partial.h5") + " --ratio 0.5 --ranking-method l1"),
      "no intervals for layer 'features.4'");
  // Intervals of another model.
  expect_one_line_error(run_ftcnn("harden --model " + test::fixture_path("model_small.h5") + " --intervals " +
                                  intervals + " --ratio 0.5 --ranking-method l1 --out " + dir.file("h.h5")),
                        "profiled on a model with checksum");
  // A hardened model is not hardened or profiled again.
  REQUIRE(run_ftcnn(base + "--intervals " + intervals + " --ratio 0.5 --ranking-method l1").exit_code == 0);
  expect_one_line_error(run_ftcnn("harden --model " + dir.file("h.h5") +
                                  " --ratio 0.5 --mode tmr "
                                  "--ranking-method l1 --out " +
                                  dir.file("again.h5")),
                        "hardened already");
  expect_one_line_error(run_ftcnn("profile --model " + dir.file("h.h5") + " --data " + kDefaultData +
                                  " --split test --images 8 --out " + dir.file("i2.h5")),
                        "profile the plain model");
}
