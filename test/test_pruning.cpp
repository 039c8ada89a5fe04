// Structured pruning (docs/pruning.md): removal counts, which channels go (layer and global scope, ties),
// the pruned architecture and parameters against a masked reference, ratio 0, dead channels removed without
// changing the logits, the model file round trip, and the `prune` command with its bad-input errors (real
// binary).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/io/hdf5_file.hpp"
#include "engine/io/model_file.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/pruning.hpp"
#include "engine/pruning_units.hpp"
#include "engine/vulnerability/vulnerability.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// input [2, 4, 4] -> conv a (6, 3x3 pad 1) -> relu -> maxpool 2 -> conv b (5, 1x1) -> bn b -> relu -> flatten
// (5 x 2 x 2 = 20) -> fc (7) -> relu -> out (3). Prunable: a, b, fc.
ModelSpec tiny_spec() {
  ModelSpec spec{"tiny", Shape{2, 4, 4}, 3, {}};
  spec.layers = {conv2d_spec("a", 2, 6, 3, 1, 1, true),
                 simple_spec("a.relu", LayerType::relu),
                 pool_spec("pool", LayerType::maxpool2d, 2, 2),
                 conv2d_spec("b", 6, 5, 1, 1, 0, true),
                 batchnorm2d_spec("b.bn", 5),
                 simple_spec("b.relu", LayerType::relu),
                 simple_spec("flatten", LayerType::flatten),
                 linear_spec("fc", 20, 7),
                 simple_spec("fc.relu", LayerType::relu),
                 linear_spec("out", 7, 3)};
  return spec;
}

// Every parameter value distinct (its arena position), variances positive.
void fill_distinct(Graph& graph) {
  ParameterStore& store = graph.parameters();
  for (int i = 0; i < store.size(); ++i) {
    float* p = store.host(i);
    for (int64_t k = 0; k < store.info(i).numel(); ++k) {
      p[k] = static_cast<float>(store.info(i).offset + k) * 0.01f + 0.5f;
    }
  }
}

const LayerPruning& entry(const std::vector<LayerPruning>& plan, const std::string& layer) {
  for (const LayerPruning& p : plan) {
    if (p.layer == layer) return p;
  }
  FAIL("no plan entry for " << layer);
  return plan.front();
}

// The channel counts of the node `name`.
const ChannelAttributes& layer_of(const Graph& graph, const std::string& name) {
  for (const LayerSpec& l : graph.spec().layers) {
    if (l.name == name) return l.attrs<ChannelAttributes>();
  }
  FAIL("no layer " << name);
  return graph.spec().layers.front().attrs<ChannelAttributes>();
}

const float* tensor(const Graph& graph, const std::string& name) {
  const int index = graph.parameters().find(name);
  REQUIRE(index >= 0);
  return graph.parameters().host(index);
}

ChannelScores l1_scores(Graph& graph) {
  VulnerabilityOptions options;
  options.method = VulnerabilityMethod::l1;
  ChannelScores scores;
  for (const LayerVulnerability& l : compute_vulnerability(graph, 0, {}, options).layers)
    scores[l.layer] = l.scores;
  return scores;
}

std::unique_ptr<Graph> copy_of(const Graph& graph) {
  auto copy = std::make_unique<Graph>(graph.spec());
  copy->parameters().arena() = graph.parameters().arena();
  return copy;
}

// The unpruned model with every removed channel's contribution cut where it is consumed: the next conv2d's
// input channel, the first linear layer's H x W features after flatten, the next linear layer's input. It
// computes what the pruned model computes (up to the summation order), so it checks the index arithmetic.
std::unique_ptr<Graph> masked_reference(const Graph& graph, const std::vector<LayerPruning>& plan) {
  auto masked = copy_of(graph);
  const std::vector<Shape> shapes = graph.output_shapes(1);
  const std::vector<LayerSpec>& layers = graph.spec().layers;
  for (const LayerPruning& p : plan) {
    size_t i = 0;
    while (layers[i].name != p.layer) ++i;
    int64_t spatial = 1;
    size_t j = i + 1;
    for (; layers[j].type != LayerType::conv2d && layers[j].type != LayerType::linear; ++j) {
      if (layers[j].type == LayerType::flatten && shapes[j - 1].rank() == 4) {
        spatial = shapes[j - 1][2] * shapes[j - 1][3];
      }
    }
    ParameterStore& store = masked->parameters();
    const int w = store.find(layers[j].name + ".weight");
    const Shape& shape = store.info(w).shape;
    const int64_t inputs = shape[1], inner = shape.numel() / (shape[0] * shape[1]);
    for (int64_t o = 0; o < shape[0]; ++o) {
      for (int64_t c : p.removed) {
        for (int64_t s = 0; s < spatial; ++s) {
          float* at = store.host(w) + (o * inputs + c * spatial + s) * inner;
          std::fill(at, at + inner, 0.0f);
        }
      }
    }
  }
  return masked;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), sizeof(float) * a.numel()) == 0;
}

using RunResult = ftcnn::test::CommandResult;
using ftcnn::test::expect_one_line_error;
using ftcnn::test::run_ftcnn;
const std::string kDefaultModel = std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5";
const std::string kDefaultData = std::string(FTCNN_SOURCE_DIR) + "/data/default/cifar10-test-slice";

}  // namespace

TEST_CASE("pruning ratios become removal counts: floor, snapped, one channel stays", "[pruning]") {
  CHECK(removals_for_ratio(0.05, 96) == 4);
  CHECK(removals_for_ratio(0.05, 256) == 12);
  CHECK(removals_for_ratio(0.8, 4096) == 3276);
  CHECK(removals_for_ratio(0.3, 10) == 3);  // 2.9999999999999996 counts as 3
  CHECK(removals_for_ratio(0.0, 64) == 0);
  CHECK(removals_for_ratio(0.99, 3) == 2);
  CHECK(removals_for_ratio(0.9, 1) == 0);  // the last channel stays
  CHECK_THROWS_WITH(removals_for_ratio(1.0, 10, "--fc-ratio"),
                    Catch::Contains("--fc-ratio must be in [0, 1), got 1"));
  CHECK_THROWS_WITH(removals_for_ratio(-0.1, 10), Catch::Contains("must be in [0, 1)"));
  CHECK_THROWS_WITH(removals_for_ratio(std::nan(""), 10), Catch::Contains("must be in [0, 1)"));
  CHECK(prune_scope_from_name("global") == PruneScope::global);
  CHECK_THROWS_WITH(prune_scope_from_name("model"), Catch::Contains("unknown pruning scope 'model'"));
}

TEST_CASE("layer scope removes the tail of each layer's ranking: lowest score first, ties the higher index",
          "[pruning]") {
  const Graph tiny(tiny_spec());
  ChannelScores scores{
      {"a", {5, 1, 3, 1, 9, 0}}, {"b", {2, kNaN, -1, 4, 0.5}}, {"fc", {1, 2, 3, 4, 5, 6, 7}}};
  // a: ranking 4, 0, 2, 1, 3, 5 -> the last two are 3 (tie with 1, higher index) and 5.
  auto plan = plan_pruning(tiny, scores, 0.34, 0.5, PruneScope::layer);
  REQUIRE(plan.size() == 3);  // "out" is the output layer: never pruned
  CHECK(entry(plan, "a").removed == std::vector<int64_t>{3, 5});
  CHECK(entry(plan, "a").kept() == std::vector<int64_t>{0, 1, 2, 4});
  CHECK(entry(plan, "b").removed == std::vector<int64_t>{2});  // a NaN score (an overflow) ranks first
  CHECK(entry(plan, "fc").removed == std::vector<int64_t>{0, 1, 2});
  plan = plan_pruning(tiny, scores, 0.5, 0.0, PruneScope::layer);
  CHECK(entry(plan, "a").removed == std::vector<int64_t>{1, 3, 5});
  CHECK(entry(plan, "b").removed == std::vector<int64_t>{2, 4});
  CHECK(entry(plan, "fc").removed.empty());
  plan = plan_pruning(tiny, scores, 0.99, 0.99, PruneScope::layer);  // one channel stays: the top one
  CHECK(entry(plan, "a").kept() == std::vector<int64_t>{4});
  CHECK(entry(plan, "b").kept() == std::vector<int64_t>{1});
  CHECK(entry(plan, "fc").kept() == std::vector<int64_t>{6});

  // Scores from rank_channels' point of view: the removed channels are exactly the ranking's tail.
  const std::vector<int64_t> ranking = rank_channels(scores.at("a"));
  CHECK(std::vector<int64_t>(ranking.end() - 2, ranking.end()) == std::vector<int64_t>{3, 5});

  ChannelScores missing = scores;
  missing.erase("b");
  CHECK_THROWS_WITH(plan_pruning(tiny, missing, 0.1, 0.1, PruneScope::layer),
                    Catch::Contains("no channel scores for layer 'b'"));
  missing = scores;
  missing["fc"].pop_back();
  CHECK_THROWS_WITH(plan_pruning(tiny, missing, 0.1, 0.1, PruneScope::layer),
                    Catch::Contains("layer 'fc' has 7 channels but 6 scores"));
  const ModelSpec lone{"lone", Shape{4}, 2, {linear_spec("o", 4, 2)}};
  CHECK_THROWS_WITH(prunable_layers(lone),
                    Catch::Contains("no conv2d or linear layer to prune besides its output"));
  CHECK_THROWS_WITH(plan_pruning(tiny, scores, 1.0, 0.1, PruneScope::layer),
                    Catch::Contains("the conv2d ratio must be in [0, 1)"));
  CHECK_THROWS_WITH(plan_pruning(tiny, scores, 0.1, -0.5, PruneScope::layer),
                    Catch::Contains("the linear ratio must be in [0, 1)"));
}

TEST_CASE("global scope ranks all conv2d channels together, linear neurons apart", "[pruning]") {
  const Graph tiny(tiny_spec());
  // Layer a scores low, layer b high: globally a's channels go first.
  ChannelScores scores{
      {"a", {0.1, 0.2, 0.3, 0.4, 0.5, 0.6}}, {"b", {10, 11, 12, 13, 14}}, {"fc", {7, 6, 5, 4, 3, 2, 1}}};
  auto layer = plan_pruning(tiny, scores, 0.5, 0.5, PruneScope::layer);
  auto global = plan_pruning(tiny, scores, 0.5, 0.5, PruneScope::global);
  CHECK(entry(layer, "a").removed == std::vector<int64_t>{0, 1, 2});
  CHECK(entry(layer, "b").removed == std::vector<int64_t>{0, 1});
  // floor(0.5 x 11) = 5 conv channels, all from a.
  CHECK(entry(global, "a").removed == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(entry(global, "b").removed.empty());
  // One linear layer besides the output layer: global equals layer scope there.
  CHECK(entry(global, "fc").removed == entry(layer, "fc").removed);
  CHECK(entry(global, "fc").removed == std::vector<int64_t>{4, 5, 6});

  // floor(0.9 x 11) = 9: a gives 5 (its best channel stays), b gives the other 4.
  global = plan_pruning(tiny, scores, 0.9, 0.0, PruneScope::global);
  CHECK(entry(global, "a").kept() == std::vector<int64_t>{5});
  CHECK(entry(global, "b").kept() == std::vector<int64_t>{4});
  CHECK(entry(global, "fc").removed.empty());

  // Ties across layers: the later layer's channel goes first (as the higher index within a layer).
  ChannelScores flat{{"a", std::vector<double>(6, 1.0)},
                     {"b", std::vector<double>(5, 1.0)},
                     {"fc", std::vector<double>(7, 1.0)}};
  global = plan_pruning(tiny, flat, 0.3, 0.0, PruneScope::global);  // floor(3.3) = 3
  CHECK(entry(global, "a").removed.empty());
  CHECK(entry(global, "b").removed == std::vector<int64_t>{2, 3, 4});

  // The same model, scored per layer: a ranking inside one layer is what both scopes agree on.
  ModelSpec one_conv{"one",
                     Shape{4},
                     2,
                     {linear_spec("h", 4, 8), simple_spec("r", LayerType::relu), linear_spec("o", 8, 2)}};
  ChannelScores h{{"h", {3, 1, 4, 1, 5, 9, 2, 6}}};
  CHECK(entry(plan_pruning(Graph(one_conv), h, 0.0, 0.5, PruneScope::global), "h").removed ==
        entry(plan_pruning(Graph(one_conv), h, 0.0, 0.5, PruneScope::layer), "h").removed);
}

TEST_CASE("global scope normalised per layer: a layer's scale no longer decides, its spread does",
          "[pruning]") {
  const Graph tiny(tiny_spec());
  // a's scores are b's shape scaled by 1/100 (as a BatchNorm'd conv whose weights grew 10x would score):
  // raw global ranking strips a, normalised ranking treats both alike.
  ChannelScores scores{
      {"a", {0.01, 0.02, 0.03, 0.04, 0.05, 0.06}}, {"b", {1, 2, 3, 4, 5}}, {"fc", {7, 6, 5, 4, 3, 2, 1}}};
  const auto raw = plan_pruning(tiny, scores, 0.4, 0.0, PruneScope::global, ScoreNormalization::none);
  CHECK(entry(raw, "a").removed == std::vector<int64_t>{0, 1, 2, 3});  // floor(4.4) = 4, all from a
  CHECK(entry(raw, "b").removed.empty());
  // mean: a / 0.035 = {0.29, 0.57, 0.86, 1.14, 1.43, 1.71}, b / 3 = {0.33, 0.67, 1, 1.33, 1.67}.
  const auto mean = plan_pruning(tiny, scores, 0.4, 0.0, PruneScope::global, ScoreNormalization::mean);
  CHECK(entry(mean, "a").removed == std::vector<int64_t>{0, 1});
  CHECK(entry(mean, "b").removed == std::vector<int64_t>{0, 1});
  // l2: a / 0.0954 = {0.10, 0.21, ...}, b / 7.42 = {0.13, 0.27, 0.40, ...}: a 0, b 0, a 1, b 1.
  const auto l2 = plan_pruning(tiny, scores, 0.4, 0.0, PruneScope::global, ScoreNormalization::l2);
  CHECK(entry(l2, "a").removed == std::vector<int64_t>{0, 1});
  CHECK(entry(l2, "b").removed == std::vector<int64_t>{0, 1});

  // Invariance: scaling one layer's scores by any positive factor leaves a normalised plan as it was.
  for (const ScoreNormalization n : {ScoreNormalization::mean, ScoreNormalization::l2}) {
    ChannelScores scaled = scores;
    for (double& s : scaled["b"]) s *= 1e6;
    const auto before = plan_pruning(tiny, scores, 0.6, 0.0, PruneScope::global, n);
    const auto after = plan_pruning(tiny, scaled, 0.6, 0.0, PruneScope::global, n);
    CHECK(entry(before, "a").removed == entry(after, "a").removed);
    CHECK(entry(before, "b").removed == entry(after, "b").removed);
  }
  // A layer of zeros cannot be divided: it keeps its raw scores (and goes first). NaN scores still rank
  // first.
  ChannelScores zeros = scores;
  zeros["a"] = std::vector<double>(6, 0.0);
  zeros["b"][1] = kNaN;
  const auto z = plan_pruning(tiny, zeros, 0.5, 0.0, PruneScope::global, ScoreNormalization::mean);
  CHECK(entry(z, "a").removed == std::vector<int64_t>{1, 2, 3, 4, 5});
  CHECK(entry(z, "b").removed.empty());

  CHECK(score_normalization_from_name("l2") == ScoreNormalization::l2);
  CHECK_THROWS_WITH(score_normalization_from_name("max"),
                    Catch::Contains("unknown score normalization 'max'"));
  CHECK_THROWS_WITH(plan_pruning(tiny, scores, 0.4, 0.0, PruneScope::layer, ScoreNormalization::mean),
                    Catch::Contains("score normalization mean: only global scope"));
}

TEST_CASE("the pruned architecture keeps the kept rows and columns, bit for bit", "[pruning]") {
  Graph graph(tiny_spec());
  fill_distinct(graph);
  ChannelScores scores{{"a", {5, 1, 3, 1, 9, 0}}, {"b", {2, 7, -1, 4, 0.5}}, {"fc", {1, 2, 3, 4, 5, 6, 7}}};
  const auto plan = plan_pruning(graph, scores, 0.5, 0.5, PruneScope::layer);
  const auto pruned = build_pruned_graph(graph, plan);
  const std::vector<int64_t> keep_a{0, 2, 4}, keep_b{0, 1, 3}, keep_fc{3, 4, 5, 6};
  CHECK(entry(plan, "a").kept() == keep_a);
  CHECK(entry(plan, "b").kept() == keep_b);
  CHECK(entry(plan, "fc").kept() == keep_fc);
  CHECK(layer_of(*pruned, "a").out_channels == 3);
  CHECK(layer_of(*pruned, "b").in_channels == 3);
  CHECK(layer_of(*pruned, "b").out_channels == 3);
  CHECK(layer_of(*pruned, "b.bn").in_channels == 3);
  CHECK(layer_of(*pruned, "fc").in_channels == 12);
  CHECK(layer_of(*pruned, "fc").out_channels == 4);
  CHECK(layer_of(*pruned, "out").in_channels == 4);
  CHECK(layer_of(*pruned, "out").out_channels == 3);

  // a.weight [6, 2, 3, 3]: kept rows.
  for (size_t r = 0; r < keep_a.size(); ++r) {
    for (int k = 0; k < 18; ++k)
      CHECK(tensor(*pruned, "a.weight")[r * 18 + k] == tensor(graph, "a.weight")[keep_a[r] * 18 + k]);
    CHECK(tensor(*pruned, "a.bias")[r] == tensor(graph, "a.bias")[keep_a[r]]);
  }
  // b.weight [5, 6, 1, 1]: kept rows x kept columns; b.bn: kept entries.
  for (size_t r = 0; r < keep_b.size(); ++r) {
    for (size_t c = 0; c < keep_a.size(); ++c) {
      CHECK(tensor(*pruned, "b.weight")[r * 3 + c] == tensor(graph, "b.weight")[keep_b[r] * 6 + keep_a[c]]);
    }
    for (const char* t : {"b.bias", "b.bn.weight", "b.bn.bias", "b.bn.running_mean", "b.bn.running_var"}) {
      CHECK(tensor(*pruned, t)[r] == tensor(graph, t)[keep_b[r]]);
    }
  }
  // fc.weight [7, 20]: channel c of b owns features 4c .. 4c + 3 after flatten.
  for (size_t r = 0; r < keep_fc.size(); ++r) {
    for (size_t c = 0; c < keep_b.size(); ++c) {
      for (int s = 0; s < 4; ++s) {
        CHECK(tensor(*pruned, "fc.weight")[r * 12 + c * 4 + s] ==
              tensor(graph, "fc.weight")[keep_fc[r] * 20 + keep_b[c] * 4 + s]);
      }
    }
    CHECK(tensor(*pruned, "fc.bias")[r] == tensor(graph, "fc.bias")[keep_fc[r]]);
  }
  // out.weight [3, 7]: kept columns; its bias untouched.
  for (int o = 0; o < 3; ++o) {
    for (size_t c = 0; c < keep_fc.size(); ++c)
      CHECK(tensor(*pruned, "out.weight")[o * 4 + c] == tensor(graph, "out.weight")[o * 7 + keep_fc[c]]);
    CHECK(tensor(*pruned, "out.bias")[o] == tensor(graph, "out.bias")[o]);
  }

  // Plans that do not fit the model.
  CHECK_THROWS_WITH(build_pruned_graph(graph, {{"out", LayerType::linear, 3, {0}}}),
                    Catch::Contains("the output layer is never pruned"));
  CHECK_THROWS_WITH(build_pruned_graph(graph, {{"a", LayerType::conv2d, 6, {0, 1, 2, 3, 4, 5}}}),
                    Catch::Contains("removes all 6 channels of layer a"));
  CHECK_THROWS_WITH(build_pruned_graph(graph, {{"a", LayerType::conv2d, 6, {3, 1}}}),
                    Catch::Contains("not ascending"));
  CHECK_THROWS_WITH(build_pruned_graph(graph, {{"a", LayerType::conv2d, 6, {6}}}),
                    Catch::Contains("removes channel 6"));
  {
    // A linear layer straight on a conv2d's [N, C, H, W] output reads features, not the pruned channels.
    ModelSpec no_flatten;
    no_flatten.arch = "no-flatten";
    no_flatten.input = Shape{2, 3, 3};
    no_flatten.num_classes = 2;
    no_flatten.layers = {conv2d_spec("conv", 2, 4, 3, 1, 1, true), linear_spec("fc", 36, 2)};
    const Graph plain(no_flatten);
    CHECK_THROWS_WITH(build_pruned_graph(plain, {{"conv", LayerType::conv2d, 4, {1}}}),
                      Catch::Contains("removes channel 1 of layer conv, which cannot be removed"));
  }
  CHECK_THROWS_WITH(build_pruned_graph(graph, {{"a", LayerType::conv2d, 5, {}}}),
                    Catch::Contains("gives layer a 5 channels"));
}

TEST_CASE("a pruned model runs and computes what the model with the pruned inputs cut computes",
          "[pruning]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  const Graph& graph = *model.graph;
  const Tensor inputs = H5File::open_read(test::fixture_path("model_small.h5")).read_tensor("fixture_input");
  for (const PruneScope scope : {PruneScope::layer, PruneScope::global}) {
    INFO("scope " << prune_scope_name(scope));
    const auto plan = plan_pruning(graph, l1_scores(*model.graph), 0.25, 0.5, scope);
    const auto pruned = build_pruned_graph(graph, plan);
    if (scope == PruneScope::layer) {
      CHECK(layer_of(*pruned, "features.0").out_channels == 24);
      CHECK(layer_of(*pruned, "features.1").out_channels == 24);
      CHECK(layer_of(*pruned, "features.4").in_channels == 24);
      CHECK(layer_of(*pruned, "features.4").out_channels == 48);
      CHECK(layer_of(*pruned, "features.8").out_channels == 96);
      CHECK(layer_of(*pruned, "classifier.1").in_channels == 96 * 16);
      CHECK(layer_of(*pruned, "classifier.1").out_channels == 64);
      CHECK(layer_of(*pruned, "classifier.3").in_channels == 64);
    } else {
      int64_t conv = 0;
      for (const LayerPruning& p : plan)
        conv += p.type == LayerType::conv2d ? static_cast<int64_t>(p.removed.size()) : 0;
      CHECK(conv == 56);  // floor(0.25 x 224)
    }
    CHECK(pruned->parameters().trainable_parameters() < graph.parameters().trainable_parameters());
    CHECK(pruned->macs_per_item() < graph.macs_per_item());
    const Tensor logits = test::run_graph(*pruned, Device::cpu, inputs);
    REQUIRE(logits.shape() == Shape({4, 10}));
    const auto masked = masked_reference(graph, plan);
    const Tensor expected = test::run_graph(*masked, Device::cpu, inputs);
    const test::Comparison c = test::compare(logits, expected, 1e-5, 1e-5);
    INFO(c.message);
    CHECK(c.ok);
    // ... and pruning did change the logits: the comparison is not vacuous.
    CHECK_FALSE(test::compare(logits, test::run_graph(*model.graph, Device::cpu, inputs), 1e-5, 1e-5).ok);
  }
}

TEST_CASE("ratio 0 leaves the model bit-identical", "[pruning]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  const Graph& graph = *model.graph;
  for (const PruneScope scope : {PruneScope::layer, PruneScope::global}) {
    const auto plan = plan_pruning(graph, l1_scores(*model.graph), 0.0, 0.0, scope);
    for (const LayerPruning& p : plan) CHECK(p.removed.empty());
    const auto pruned = build_pruned_graph(graph, plan);
    CHECK(model_spec_to_json(pruned->spec()) == model_spec_to_json(graph.spec()));
    CHECK(pruned->parameters().arena() == graph.parameters().arena());
    CHECK(pruned->parameters().checksum() == graph.parameters().checksum());
    const Tensor inputs =
        H5File::open_read(test::fixture_path("model_small.h5")).read_tensor("fixture_input");
    CHECK(same_bits(test::run_graph(*pruned, Device::cpu, inputs),
                    test::run_graph(*model.graph, Device::cpu, inputs)));
  }
}

TEST_CASE("removing channels that are identically zero leaves the logits unchanged", "[pruning]") {
  SECTION("small integers: every sum exact, so the logits are bit-identical") {
    // input [2, 6, 6] -> conv0 (4, 3x3 pad 1) -> bn0 -> relu -> maxpool 2 -> conv1 (3, 3x3 pad 1) -> bn1 ->
    // relu -> flatten (27) -> fc (5) -> relu -> out (3). Integer weights in [-2, 2], integer inputs in
    // [-3, 3], BatchNorm with var 0.75 and eps 0.25 (scale = gamma / sqrt(1) exactly) and integer gamma,
    // beta, mean: every value is an integer below 2^24, so every sum is exact in any order and removing a
    // zero term cannot change a bit.
    ModelSpec spec{"ints", Shape{2, 6, 6}, 3, {}};
    spec.layers = {conv2d_spec("conv0", 2, 4, 3, 1, 1, true),
                   batchnorm2d_spec("bn0", 4, 0.25),
                   simple_spec("relu0", LayerType::relu),
                   pool_spec("pool0", LayerType::maxpool2d, 2, 2),
                   conv2d_spec("conv1", 4, 3, 3, 1, 1, true),
                   batchnorm2d_spec("bn1", 3, 0.25),
                   simple_spec("relu1", LayerType::relu),
                   simple_spec("flatten", LayerType::flatten),
                   linear_spec("fc", 27, 5),
                   simple_spec("relu2", LayerType::relu),
                   linear_spec("out", 5, 3)};
    Graph graph(spec);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> small(-2, 2);
    ParameterStore& store = graph.parameters();
    for (int i = 0; i < store.size(); ++i) {
      float* p = store.host(i);
      for (int64_t k = 0; k < store.info(i).numel(); ++k) {
        switch (store.info(i).kind) {
          case ParamKind::bn_running_var:
            p[k] = 0.75f;
            break;
          case ParamKind::bn_weight:
            p[k] = static_cast<float>(1 + (small(rng) + 2) % 2);  // 1 or 2
            break;
          default:
            p[k] = static_cast<float>(small(rng));
        }
      }
    }
    // Channel 2 of conv0 computes 0 (zero weights, zero bias); bn0 maps 0 to -1 (mean 0, beta -1); ReLU
    // gives exactly 0. Neuron 1 of fc: zero weights, bias -1, killed by ReLU.
    std::fill(store.host(store.find("conv0.weight")) + 2 * 18,
              store.host(store.find("conv0.weight")) + 3 * 18, 0.0f);
    store.host(store.find("conv0.bias"))[2] = 0.0f;
    store.host(store.find("bn0.running_mean"))[2] = 0.0f;
    store.host(store.find("bn0.bias"))[2] = -1.0f;
    std::fill(store.host(store.find("fc.weight")) + 27, store.host(store.find("fc.weight")) + 2 * 27, 0.0f);
    store.host(store.find("fc.bias"))[1] = -1.0f;

    Tensor inputs(graph.input_shape(5));
    std::uniform_int_distribution<int> pixel(-3, 3);
    for (int64_t i = 0; i < inputs.numel(); ++i) inputs[i] = static_cast<float>(pixel(rng));

    // Scores that rank the dead channels last (what l1 does here too: their weights are 0).
    const ChannelScores scores = l1_scores(graph);
    CHECK(scores.at("conv0")[2] == 0.0);
    const auto plan = plan_pruning(graph, scores, 0.25, 0.2, PruneScope::layer);
    CHECK(entry(plan, "conv0").removed == std::vector<int64_t>{2});
    CHECK(entry(plan, "conv1").removed.empty());
    CHECK(entry(plan, "fc").removed == std::vector<int64_t>{1});
    const auto pruned = build_pruned_graph(graph, plan);
    const Tensor before = test::run_graph(graph, Device::cpu, inputs);
    const Tensor after = test::run_graph(*pruned, Device::cpu, inputs);
    CHECK(same_bits(after, before));
    bool nonzero = false;
    for (int64_t i = 0; i < before.numel(); ++i) nonzero = nonzero || before[i] != 0.0f;
    CHECK(nonzero);
  }
  SECTION("the small model with a dead channel made in features.4: equal within 1e-5") {
    Model model = load_model(test::fixture_path("model_small.h5"));
    ParameterStore& store = model.graph->parameters();
    // Channel 7 of features.4 (no bias): zero weights; BatchNorm features.5 maps 0 to -1; ReLU gives 0.
    const int64_t row = 32 * 9;
    std::fill(store.host(store.find("features.4.weight")) + 7 * row,
              store.host(store.find("features.4.weight")) + 8 * row, 0.0f);
    store.host(store.find("features.5.running_mean"))[7] = 0.0f;
    store.host(store.find("features.5.bias"))[7] = -1.0f;
    const std::vector<LayerPruning> plan{{"features.4", LayerType::conv2d, 64, {7}}};
    const auto pruned = build_pruned_graph(*model.graph, plan);
    CHECK(layer_of(*pruned, "features.8").in_channels == 63);
    const Tensor inputs =
        H5File::open_read(test::fixture_path("model_small.h5")).read_tensor("fixture_input");
    // Not bit-exact: features.8's GEMM sums 63 x 9 instead of 64 x 9 products, and OpenBLAS blocks the
    // reduction differently, so rounding can differ in the last bits.
    const test::Comparison c = test::compare(test::run_graph(*pruned, Device::cpu, inputs),
                                             test::run_graph(*model.graph, Device::cpu, inputs), 1e-6, 1e-5);
    INFO(c.message);
    CHECK(c.ok);
  }
}

TEST_CASE("a pruned model file round-trips", "[pruning]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  const auto plan = plan_pruning(*model.graph, l1_scores(*model.graph), 0.1, 0.3, PruneScope::layer);
  const auto pruned = build_pruned_graph(*model.graph, plan);
  test::TempDir dir;
  save_model(dir.file("p.h5"), *pruned, model.info);
  const Model back = load_model(dir.file("p.h5"));
  CHECK(model_spec_to_json(back.graph->spec()) == model_spec_to_json(pruned->spec()));
  CHECK(back.graph->parameters().arena() == pruned->parameters().arena());
  CHECK(back.graph->parameters().checksum() == pruned->parameters().checksum());
  CHECK(back.info.preprocessing.mean == model.info.preprocessing.mean);
}

TEST_CASE("the prune command writes the model, its provenance and the counts", "[pruning]") {
  test::TempDir dir;
  const std::string out = dir.file("p.h5");
  RunResult r = run_ftcnn("prune --model " + kDefaultModel +
                          " --conv-ratio 0.25 --fc-ratio 0.5 --importance l1 --out " + out + " --json");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json printed = nlohmann::json::parse(r.output);
  const Model source = load_model(kDefaultModel);
  const Model model = load_model(out);
  CHECK(printed["parameters"][1] == model.graph->parameters().trainable_parameters());
  CHECK(printed["macs"][1] == model.graph->macs_per_item());
  const nlohmann::json provenance = nlohmann::json::parse(model.info.provenance_json);
  const nlohmann::json& pruning = provenance["pruning"];
  CHECK(provenance["source"] == kDefaultModel);
  CHECK(pruning["conv_ratio"] == 0.25);
  CHECK(pruning["fc_ratio"] == 0.5);
  CHECK(pruning["scope"] == "layer");
  CHECK(pruning["importance"]["method"] == "l1");
  CHECK(pruning["output_layer"] == "classifier.3");
  REQUIRE(pruning["layers"].size() == 4);
  CHECK(pruning["layers"][0]["layer"] == "features.0");
  CHECK(pruning["layers"][0]["removed"].size() == 8);
  // The recorded indices rebuild the same model.
  std::vector<LayerPruning> plan;
  for (const auto& l : pruning["layers"]) {
    plan.push_back({l["layer"].get<std::string>(), layer_type_from_name(l["type"].get<std::string>()),
                    l["channels"].get<int64_t>(), l["removed"].get<std::vector<int64_t>>()});
  }
  CHECK(build_pruned_graph(*source.graph, plan)->parameters().arena() == model.graph->parameters().arena());

  // Scores from `ftcnn vuln --out` give the same model as the same method inline.
  REQUIRE(run_ftcnn("vuln --model " + kDefaultModel + " --method l1 --out " + dir.file("v.h5")).exit_code ==
          0);
  r = run_ftcnn("prune --model " + kDefaultModel + " --conv-ratio 0.25 --fc-ratio 0.5 --scores " +
                dir.file("v.h5") + " --out " + dir.file("q.h5"));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(load_model(dir.file("q.h5")).graph->parameters().checksum() == model.graph->parameters().checksum());

  // Ratio 0 through the command: the parameters are the source's, bit for bit.
  REQUIRE(run_ftcnn("prune --model " + kDefaultModel +
                    " --conv-ratio 0 --fc-ratio 0 --importance random --seed 3 --out " + dir.file("z.h5"))
              .exit_code == 0);
  CHECK(load_model(dir.file("z.h5")).graph->parameters().arena() == source.graph->parameters().arena());

  // Eq. (1) inline on a few images, global scope.
  r = run_ftcnn("prune --model " + kDefaultModel +
                " --conv-ratio 0.1 --fc-ratio 0.1 --importance exact --data " + kDefaultData +
                " --split test --images 8 --scope global --out " + dir.file("e.h5") + " --json");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json exact = nlohmann::json::parse(r.output);
  CHECK(exact["pruning"]["importance"]["images"] == 8);
  CHECK(exact["pruning"]["importance"]["split"] == "test");
  CHECK(exact["pruning"]["scope"] == "global");
  CHECK(exact["pruning"]["normalization"] == "mean");  // global scope's default
  CHECK(pruning["normalization"] == "none");
}

TEST_CASE("prune refuses bad flags, hardened models and foreign scores in one line", "[pruning]") {
  test::TempDir dir;
  const std::string base = "prune --model " + kDefaultModel + " --out " + dir.file("p.h5") + " ";
  expect_one_line_error(run_ftcnn(base + "--conv-ratio 1 --fc-ratio 0.5 --importance l1"),
                        "--conv-ratio must be in [0, 1), got 1");
  expect_one_line_error(run_ftcnn(base + "--conv-ratio 0.1 --fc-ratio -0.5 --importance l1"),
                        "--fc-ratio must be in [0, 1), got -0.5");
  expect_one_line_error(run_ftcnn(base + "--conv-ratio 0.1 --fc-ratio 0.5"),
                        "give a score source: --scores exact|batch|l1|random");
  expect_one_line_error(run_ftcnn(base + "--conv-ratio 0.1 --fc-ratio 0.5 --importance exact"),
                        "--data is required for --scores exact");
  expect_one_line_error(
      run_ftcnn(base + "--conv-ratio 0.1 --fc-ratio 0.5 --importance l1 --data " + kDefaultData),
      "--scores l1 uses no images");
  expect_one_line_error(run_ftcnn(base + "--conv-ratio 0.1 --fc-ratio 0.5 --importance size"),
                        "--importance");
  expect_one_line_error(run_ftcnn(base + "--conv-ratio 0.1 --fc-ratio 0.5 --importance l1 --scope model"),
                        "--scope");
  expect_one_line_error(run_ftcnn(base + "--conv-ratio 0.1 --fc-ratio 0.5 --importance l1 --normalize l2"),
                        "--normalize l2: only --scope global compares scores across layers");
  expect_one_line_error(
      run_ftcnn(base + "--conv-ratio 0.1 --fc-ratio 0.5 --importance l1 --scope global --normalize max"),
      "--normalize");
  expect_one_line_error(run_ftcnn(base + "--fc-ratio 0.5 --importance l1"), "--conv-ratio");
  expect_one_line_error(run_ftcnn(base + "--conv-ratio 0.1 --fc-ratio 0.5 --scores " + dir.file("none.h5")),
                        "none.h5");

  // Scores of another model (the test fixture has other weights).
  REQUIRE(run_ftcnn("vuln --model " + test::fixture_path("model_small.h5") + " --method l1 --out " +
                    dir.file("v.h5"))
              .exit_code == 0);
  expect_one_line_error(run_ftcnn(base + "--conv-ratio 0.1 --fc-ratio 0.5 --scores " + dir.file("v.h5")),
                        "score this model");

  // A hardened model: prune first, harden after.
  REQUIRE(run_ftcnn("harden --model " + kDefaultModel +
                    " --ratio 0.1 --mode dup-only --ranking-method l1 --out " + dir.file("h.h5"))
              .exit_code == 0);
  expect_one_line_error(
      run_ftcnn("prune --model " + dir.file("h.h5") +
                " --conv-ratio 0.1 --fc-ratio 0.5 --importance l1 --out " + dir.file("p.h5")),
      "prune the plain model first, then harden the pruned one");
  CHECK_FALSE(test::exists(dir.file("p.h5")));
}

namespace {

// Zeroes input channels `columns` (each `spatial` consecutive inputs wide) of `layer`'s weight: the layer no
// longer reads them.
void cut_inputs(Graph& graph, const std::string& layer, const std::vector<int64_t>& columns,
                int64_t spatial = 1) {
  ParameterStore& store = graph.parameters();
  const int w = store.find(layer + ".weight");
  REQUIRE(w >= 0);
  const Shape& shape = store.info(w).shape;
  const int64_t inputs = shape[1], inner = shape.numel() / (shape[0] * shape[1]);
  for (int64_t o = 0; o < shape[0]; ++o) {
    for (int64_t c : columns) {
      for (int64_t s = 0; s < spatial; ++s) {
        float* at = store.host(w) + (o * inputs + c * spatial + s) * inner;
        std::fill(at, at + inner, 0.0f);
      }
    }
  }
}

}  // namespace

TEST_CASE("an add ties channels into units: removed together, ranked by the sum of their scores",
          "[pruning][dag]") {
  Model model = load_model(test::fixture_path("residual_small.h5"));
  const Graph& graph = *model.graph;
  // stem.0 and layer1.conv2 meet in layer1.add, layer2.conv2 and layer2.shortcut.0 in layer2.add: 8 + 8 +
  // 16 + 16 units for 80 channels.
  const PruningUnits units = pruning_units(graph);
  REQUIRE(units.layers.size() == 6);
  CHECK(units.units.size() == 48);
  CHECK(units.tied_with[0] == std::vector<std::string>{"layer1.conv2"});
  CHECK(units.tied_with[1].empty());
  CHECK(units.tied_with[5] == std::vector<std::string>{"layer2.conv2"});
  for (int64_t c = 0; c < 8; ++c) CHECK(units.unit_of[0][c] == units.unit_of[2][c]);
  for (int64_t c = 0; c < 16; ++c) CHECK(units.unit_of[4][c] == units.unit_of[5][c]);

  ChannelScores scores = l1_scores(*model.graph);
  // Alone, stem.0 would lose channels 0 and 1 and layer1.conv2 channels 6 and 7; tied, the sums are 7 but for
  // channel 7 (7.5), so two of the equal units go, the higher indices first.
  scores["stem.0"] = {0, 1, 2, 3, 4, 5, 6, 7};
  scores["layer1.conv2"] = {7, 6, 5, 4, 3, 2, 1, 0.5};
  const auto plan = plan_pruning(graph, scores, 0.25, 0.0, PruneScope::layer);
  CHECK(entry(plan, "stem.0").removed == std::vector<int64_t>{5, 6});
  CHECK(entry(plan, "layer1.conv2").removed == std::vector<int64_t>{5, 6});
  CHECK(entry(plan, "stem.0").tied_with == std::vector<std::string>{"layer1.conv2"});
  CHECK(entry(plan, "layer2.shortcut.0").removed == entry(plan, "layer2.conv2").removed);
  CHECK(entry(plan, "layer2.conv2").removed.size() == 4);  // floor(0.25 x 16 units)

  const auto global = plan_pruning(graph, scores, 0.25, 0.0, PruneScope::global, ScoreNormalization::mean);
  size_t units_removed = 0;
  for (const LayerPruning& p : global) units_removed += p.removed.size();
  // floor(0.25 x 48) = 12 units; a tied unit takes two channels.
  CHECK(units_removed - entry(global, "layer1.conv2").removed.size() -
            entry(global, "layer2.shortcut.0").removed.size() ==
        12);
  CHECK(entry(global, "stem.0").removed == entry(global, "layer1.conv2").removed);
  CHECK(entry(global, "layer2.shortcut.0").removed == entry(global, "layer2.conv2").removed);

  // A plan that splits a unit is refused, naming both channels.
  CHECK_THROWS_WITH(build_pruned_graph(graph, {{"stem.0", LayerType::conv2d, 8, {1}}}),
                    Catch::Contains("removes channel 1 of layer stem.0 but keeps channel 1 of layer "
                                    "layer1.conv2: an add ties them"));
}

TEST_CASE("channels an add ties to the model input are never removed", "[pruning][dag]") {
  // input [2, 4, 4] -> a (2, 1x1) -> add(a, input) -> b (3, 3x3 pad 1) -> relu -> flatten -> out (2).
  ModelSpec spec{"input-tied", Shape{2, 4, 4}, 2, {}};
  spec.layers = {
      conv2d_spec("a", 2, 2, 1, 1, 0, true),      join_spec("add", LayerType::add, {"a", kModelInputName}),
      conv2d_spec("b", 2, 3, 3, 1, 1, true),      simple_spec("relu", LayerType::relu),
      simple_spec("flatten", LayerType::flatten), linear_spec("out", 48, 2)};
  Graph graph(spec);
  fill_distinct(graph);
  const PruningUnits units = pruning_units(graph);
  CHECK(units.unit_of[0] == std::vector<int>{-1, -1});
  CHECK(units.units.size() == 3);  // b's channels
  const ChannelScores scores{{"a", {0.0, 1.0}}, {"b", {3.0, 1.0, 2.0}}};
  const auto plan = plan_pruning(graph, scores, 0.6, 0.0, PruneScope::layer);
  CHECK(entry(plan, "a").removed.empty());
  CHECK(entry(plan, "b").removed == std::vector<int64_t>{1});
  CHECK_THROWS_WITH(build_pruned_graph(graph, {{"a", LayerType::conv2d, 2, {0}}}),
                    Catch::Contains("removes channel 0 of layer a, which cannot be removed"));
  const auto pruned = build_pruned_graph(graph, plan);
  CHECK(layer_of(*pruned, "out").in_channels == 32);
}

TEST_CASE("a pruned residual network computes what the network with the removed channels cut computes",
          "[pruning][dag]") {
  Model model = load_model(test::fixture_path("residual_small.h5"));
  const Graph& graph = *model.graph;
  const Tensor inputs =
      H5File::open_read(test::fixture_path("residual_small.h5")).read_tensor("fixture_input");
  for (const PruneScope scope : {PruneScope::layer, PruneScope::global}) {
    INFO("scope " << prune_scope_name(scope));
    const auto plan =
        plan_pruning(graph, l1_scores(*model.graph), 0.25, 0.0, scope,
                     scope == PruneScope::global ? ScoreNormalization::mean : ScoreNormalization::none);
    const auto pruned = build_pruned_graph(graph, plan);
    // Where every removed channel is read (test/generate_residual_fixture.py's network): the residual
    // stream of stage 1 by layer1.conv1, layer2.conv1 and layer2.shortcut.0; stage 2's stream, through the
    // concat (its channels at k and 16 + k) and the 2x2 average pool, by fc's features.
    auto masked = copy_of(graph);
    const std::vector<int64_t>& stream1 = entry(plan, "stem.0").removed;
    CHECK(stream1 == entry(plan, "layer1.conv2").removed);
    for (const char* reader : {"layer1.conv1", "layer2.conv1", "layer2.shortcut.0"})
      cut_inputs(*masked, reader, stream1);
    cut_inputs(*masked, "layer1.conv2", entry(plan, "layer1.conv1").removed);
    cut_inputs(*masked, "layer2.conv2", entry(plan, "layer2.conv1").removed);
    const std::vector<int64_t>& stream2 = entry(plan, "layer2.conv2").removed;
    CHECK(stream2 == entry(plan, "layer2.shortcut.0").removed);
    std::vector<int64_t> concat = stream2;
    for (int64_t c : stream2) concat.push_back(16 + c);
    cut_inputs(*masked, "fc", concat, 4);
    int64_t removed = 0;
    for (const LayerPruning& p : plan) removed += static_cast<int64_t>(p.removed.size());
    CHECK(removed > 0);
    CHECK(layer_of(*pruned, "fc").in_channels == 4 * (32 - 2 * static_cast<int64_t>(stream2.size())));

    const Tensor logits = test::run_graph(*pruned, Device::cpu, inputs);
    const test::Comparison c =
        test::compare(logits, test::run_graph(*masked, Device::cpu, inputs), 1e-5, 1e-5);
    INFO(c.message);
    CHECK(c.ok);
    CHECK_FALSE(test::compare(logits, test::run_graph(*model.graph, Device::cpu, inputs), 1e-5, 1e-5).ok);
  }
}

TEST_CASE("a depthwise convolution prunes with the layer that makes its input, a grouped one stays whole",
          "[pruning][dag]") {
  // vuln_grouped.h5 (test/generate_vulnerability_fixture.py): features.3 is a groups = 2 conv, then two
  // MobileNetV2 blocks (expand, depthwise, project), the first with a residual add onto features.3's output.
  Model model = load_model(test::fixture_path("vuln_grouped.h5"));
  const Graph& graph = *model.graph;
  const Tensor inputs = H5File::open_read(test::fixture_path("vuln_grouped.h5")).read_tensor("vuln_input");
  const PruningUnits units = pruning_units(graph);
  std::map<std::string, size_t> slot;
  for (size_t k = 0; k < units.layers.size(); ++k) slot[units.layers[k]->name] = k;
  REQUIRE(units.layers.size() == 8);
  // What the grouped conv reads (features.0) and makes (features.3, which the add ties to blocks.0.project)
  // stays; each block's expand channel c and depthwise filter c are one unit; blocks.1.project alone.
  for (const char* pinned : {"features.0", "features.3", "blocks.0.project"}) {
    INFO(pinned);
    for (int u : units.unit_of[slot[pinned]]) CHECK(u == -1);
  }
  CHECK(units.units.size() == 24 + 24 + 16);
  for (const char* block : {"blocks.0", "blocks.1"}) {
    const std::string b = block;
    CHECK(units.tied_with[slot[b + ".expand"]] == std::vector<std::string>{b + ".depthwise"});
    for (size_t c = 0; c < 24; ++c) {
      CHECK(units.unit_of[slot[b + ".expand"]][c] >= 0);
      CHECK(units.unit_of[slot[b + ".expand"]][c] == units.unit_of[slot[b + ".depthwise"]][c]);
    }
  }

  // Ranked by the sum of both scores: alone, the expand conv would lose channels 0..5; expand c + depthwise c
  // = 46 - c, so channels 18..23 go from both.
  ChannelScores scores = l1_scores(*model.graph);
  for (size_t c = 0; c < 24; ++c) {
    scores["blocks.0.expand"][c] = static_cast<double>(c);
    scores["blocks.0.depthwise"][c] = 2.0 * (23.0 - static_cast<double>(c));
  }
  const auto plan = plan_pruning(graph, scores, 0.25, 0.0, PruneScope::layer);
  CHECK(entry(plan, "blocks.0.expand").removed == std::vector<int64_t>{18, 19, 20, 21, 22, 23});
  CHECK(entry(plan, "blocks.0.depthwise").removed == std::vector<int64_t>{18, 19, 20, 21, 22, 23});
  CHECK(entry(plan, "features.3").removed.empty());
  CHECK_THROWS_WITH(build_pruned_graph(graph, {{"blocks.0.expand", LayerType::conv2d, 24, {3}}}),
                    Catch::Contains("removes channel 3 of layer blocks.0.expand but keeps channel 3 of layer "
                                    "blocks.0.depthwise"));
  CHECK_THROWS_WITH(build_pruned_graph(graph, {{"features.3", LayerType::conv2d, 12, {0}}}),
                    Catch::Contains("a grouped convolution (not depthwise) reads or makes it"));

  // l1 and Eq. (1) scores, both scopes: the pruned model computes what the model with the removed channels
  // cut where they are read computes (the depthwise filters' outputs by the project convs, blocks.1.project's
  // channels by the classifier).
  VulnerabilityOptions eq1;
  eq1.threads = 2;
  ChannelScores exact;
  for (const LayerVulnerability& l : compute_vulnerability(*model.graph, inputs, eq1).layers)
    exact[l.layer] = l.scores;
  for (const ChannelScores* chosen : {&scores, &exact}) {
    for (const PruneScope scope : {PruneScope::layer, PruneScope::global}) {
      INFO((chosen == &exact ? "Eq. (1)" : "l1") << ", scope " << prune_scope_name(scope));
      const auto p = plan_pruning(graph, *chosen, 0.25, 0.0, scope);
      const auto pruned = build_pruned_graph(graph, p);
      auto masked = copy_of(graph);
      for (const char* block : {"blocks.0", "blocks.1"}) {
        const std::string b = block;
        const std::vector<int64_t>& gone = entry(p, b + ".depthwise").removed;
        CHECK(gone == entry(p, b + ".expand").removed);
        const auto& dw = layer_of(*pruned, b + ".depthwise");
        CHECK(dw.in_channels == 24 - static_cast<int64_t>(gone.size()));
        CHECK(dw.out_channels == dw.in_channels);
        for (const LayerSpec& l : pruned->spec().layers) {
          if (l.name == b + ".depthwise") CHECK(l.attrs<Conv2dAttributes>().groups == dw.in_channels);
        }
        CHECK(layer_of(*pruned, b + ".project").in_channels == dw.out_channels);
        cut_inputs(*masked, b + ".project", gone);
      }
      cut_inputs(*masked, "classifier", entry(p, "blocks.1.project").removed);
      int64_t removed = 0;
      for (const LayerPruning& e : p) removed += static_cast<int64_t>(e.removed.size());
      CHECK(removed > 0);
      const Tensor logits = test::run_graph(*pruned, Device::cpu, inputs);
      const test::Comparison c = test::compare(logits, test::run_graph(*masked, Device::cpu, inputs), 1e-5, 1e-5);
      INFO(c.message);
      CHECK(c.ok);
    }
  }
}
