// The hardening layers (edac, tmr_vote) row by row against hand-made values: every row of the EDAC table of
// docs/hardening.md, the dup-only rows, the voter's rows, with NaN, +Inf and -Inf among the copies and
// faulty bounds; both layouts (NCHW after a conv2d, [N, F] after a linear layer); CUDA against the CPU bit
// for bit ([cuda]; without a GPU those cases print "no GPU: skipped" and pass).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>
#include <vector>

#include "engine/layers/edac.hpp"
#include "engine/layers/tmr_vote.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

using ftcnn::test::skip_without_gpu;

uint32_t bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// One row: the values of an original channel and its copies, and the expected output of that channel.
struct Row {
  int64_t channel;
  float a, b, c;  // original, first copy, second copy (tmr only)
  float expected;
};

// A graph holding one hardening layer. `rank4` feeds it [N, in, 1, 1] (after a conv2d), else [N, in].
Graph single_layer_graph(const LayerSpec& layer, bool rank4) {
  ModelSpec spec;
  spec.arch = "hardening-test";
  const int64_t in = layer.attrs<ChannelAttributes>().in_channels;
  spec.input = rank4 ? Shape{in, 1, 1} : Shape{in};
  spec.layers.push_back(layer);
  return Graph(spec);
}

void set_bounds(Graph& graph, const std::vector<float>& lower, const std::vector<float>& upper) {
  ParameterStore& store = graph.parameters();
  const std::string& name = graph.layer(0).name();
  std::copy(lower.begin(), lower.end(), store.host(store.find(name + ".lower")));
  std::copy(upper.begin(), upper.end(), store.host(store.find(name + ".upper")));
}

// One batch item per row: every channel gets `filler` (and its copies too), except the row's channel and its
// copies, which get the row's values. Copies of spec.copied[k] are channel out + k (+ D for the second).
Tensor rows_input(const Graph& graph, const std::vector<Row>& rows, float filler) {
  const CopyAttributes& spec = graph.layer(0).spec().attrs<CopyAttributes>();
  const int64_t in = spec.in_channels, out = spec.out_channels;
  const int64_t copies = static_cast<int64_t>(spec.copied.size());
  Tensor input(graph.input_shape(static_cast<int64_t>(rows.size())), filler);
  for (size_t n = 0; n < rows.size(); ++n) {
    const Row& r = rows[n];
    float* item = input.data() + static_cast<int64_t>(n) * in;
    item[r.channel] = r.a;
    for (int64_t k = 0; k < copies; ++k) {
      if (spec.copied[static_cast<size_t>(k)] != r.channel) continue;
      item[out + k] = r.b;
      if (in == out + 2 * copies) item[out + copies + k] = r.c;
    }
  }
  return input;
}

// Every row's channel gives exactly (bit for bit) the expected value, every other channel the filler.
void check_rows(Graph& graph, Device device, const std::vector<Row>& rows, float filler, float filler_out) {
  const Tensor output = test::run_graph(graph, device, rows_input(graph, rows, filler));
  const int64_t out = out_channels_of(graph.layer(0).spec());
  for (size_t n = 0; n < rows.size(); ++n) {
    const Row& r = rows[n];
    for (int64_t c = 0; c < out; ++c) {
      const float got = output[static_cast<int64_t>(n) * out + c];
      const float want = c == r.channel ? r.expected : filler_out;
      INFO(device_name(device) << " row " << n << " (channel " << r.channel << ": a " << r.a << ", b " << r.b
                               << ", c " << r.c << "), output channel " << c << ": got " << got << ", want "
                               << want);
      CHECK(bits(got) == bits(want));
    }
  }
}

// edac over C = 3 channels, channels 0 and 2 duplicated (copies at 3 and 4). Bounds: channel 0 [-1, 2],
// channel 1 [-1, 2], channel 2 [1, 3] (so a scrubbed NaN, 0, is outside there).
LayerSpec table_layer() {
  return edac_spec("features.0.edac", 3, {0, 2}, EdacMode::edac);
}

const std::vector<float> kLower{-1.0f, -1.0f, 1.0f}, kUpper{2.0f, 2.0f, 3.0f};

std::vector<Row> edac_table_rows() {
  return {
      // Non-duplicated channel (1): inside -> value, outside (Inf included) -> 0, NaN -> 0.
      {1, 1.5f, 0, 0, 1.5f},
      {1, -1.0f, 0, 0, -1.0f},  // bounds are inside
      {1, 2.0f, 0, 0, 2.0f},
      {1, 2.0001f, 0, 0, 0.0f},
      {1, -5.0f, 0, 0, 0.0f},
      {1, kInf, 0, 0, 0.0f},
      {1, -kInf, 0, 0, 0.0f},
      {1, kNaN, 0, 0, 0.0f},
      // Duplicated channel 0, bounds [-1, 2]: a == b inside -> a.
      {0, 1.5f, 1.5f, 0, 1.5f},
      {0, -1.0f, -1.0f, 0, -1.0f},
      // a != b, both inside -> min(a, b).
      {0, 1.0f, 0.5f, 0, 0.5f},
      {0, 0.5f, 1.0f, 0, 0.5f},
      {0, -1.0f, 2.0f, 0, -1.0f},
      // Exactly one inside -> that one (Inf and NaN among the copies).
      {0, 5.0f, 1.0f, 0, 1.0f},
      {0, 1.0f, 5.0f, 0, 1.0f},
      {0, kInf, 1.0f, 0, 1.0f},
      {0, 1.0f, -kInf, 0, 1.0f},
      {0, -3.0f, 0.25f, 0, 0.25f},
      // NaN -> 0 first: 0 is inside [-1, 2], so it takes part like any value.
      {0, kNaN, 1.0f, 0, 0.0f},    // both inside, min(0, 1)
      {0, 1.0f, kNaN, 0, 0.0f},    // both inside, min(1, 0)
      {0, kNaN, kNaN, 0, 0.0f},    // 0 == 0 inside
      {0, -kInf, kNaN, 0, 0.0f},   // only the scrubbed copy is inside
      {0, kNaN, -0.5f, 0, -0.5f},  // min(0, -0.5)
      // Neither inside -> 0, equal or not.
      {0, 5.0f, 5.0f, 0, 0.0f},
      {0, 5.0f, -3.0f, 0, 0.0f},
      {0, kInf, kInf, 0, 0.0f},
      {0, -kInf, kInf, 0, 0.0f},
      // Duplicated channel 2, bounds [1, 3]: a scrubbed NaN (0) is outside.
      {2, kNaN, 2.0f, 0, 2.0f},
      {2, 2.0f, kNaN, 0, 2.0f},
      {2, kNaN, kNaN, 0, 0.0f},
      {2, 0.5f, 1.5f, 0, 1.5f},
      {2, 1.5f, 2.5f, 0, 1.5f},
      {2, 2.5f, 1.5f, 0, 1.5f},
      {2, 3.0f, 3.0f, 0, 3.0f},
      {2, kInf, 2.0f, 0, 2.0f},
      {2, -kInf, -kInf, 0, 0.0f},
  };
}

// dup-only over C = 2 channels, channel 1 duplicated (copy at 2).
std::vector<Row> dup_only_rows() {
  return {
      // Non-duplicated channel 0 passes, except NaN -> 0.
      {0, 5.0f, 0, 0, 5.0f},
      {0, 1e30f, 0, 0, 1e30f},
      {0, kInf, 0, 0, kInf},
      {0, -kInf, 0, 0, -kInf},
      {0, kNaN, 0, 0, 0.0f},
      // Duplicated channel 1: a == b -> a, else min(a, b).
      {1, 7.0f, 7.0f, 0, 7.0f},
      {1, 1e30f, 1e30f, 0, 1e30f},
      {1, 1.0f, 3.0f, 0, 1.0f},
      {1, 3.0f, 1.0f, 0, 1.0f},
      {1, kInf, 2.0f, 0, 2.0f},
      {1, -kInf, 1.0f, 0, -kInf},
      {1, kInf, kInf, 0, kInf},
      {1, kNaN, 3.0f, 0, 0.0f},
      {1, 3.0f, kNaN, 0, 0.0f},
      {1, kNaN, -3.0f, 0, -3.0f},
      {1, kNaN, kNaN, 0, 0.0f},
  };
}

// tmr_vote over C = 2 channels, channel 0 triplicated (copies at 2 and 3).
std::vector<Row> tmr_rows() {
  return {
      {0, 1.0f, 1.0f, 1.0f, 1.0f},
      {0, 1.0f, 1.0f, 5.0f, 1.0f},  // two agree, whichever two
      {0, 1.0f, 5.0f, 1.0f, 1.0f},
      {0, 5.0f, 1.0f, 1.0f, 1.0f},
      {0, 1.0f, 2.0f, 3.0f, 1.0f},  // all differ: the minimum
      {0, 3.0f, 2.0f, -1.0f, -1.0f},
      {0, kNaN, 1.0f, 1.0f, 1.0f},
      {0, kNaN, kNaN, 1.0f, 0.0f},  // NaN -> 0 first: two zeros agree
      {0, kNaN, 2.0f, 3.0f, 0.0f},  // all differ after the scrub: min(0, 2, 3)
      {0, kInf, 1.0f, 1.0f, 1.0f},
      {0, kInf, kInf, 1.0f, kInf},  // two agree, even on Inf
      {0, -kInf, 1.0f, 2.0f, -kInf},
      {0, 1.0f, -kInf, kInf, -kInf},
      {0, 0.0f, -0.0f, 5.0f, 0.0f},  // +0 and -0 differ bit for bit: min(+0, -0, 5) keeps the first zero
      {0, 0.0f, 5.0f, 0.0f, 0.0f},
      // Channel 1 has no copies: only the scrub.
      {1, kNaN, 0, 0, 0.0f},
      {1, kInf, 0, 0, kInf},
      {1, -3.0f, 0, 0, -3.0f},
  };
}

// Random values with NaN, +Inf and -Inf sprinkled in, for CUDA-vs-CPU comparisons on larger shapes.
Tensor random_specials(const Shape& shape, unsigned seed) {
  Tensor t(shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-3.0f, 3.0f);
  std::uniform_int_distribution<int> pick(0, 19);
  const float specials[3] = {kNaN, kInf, -kInf};
  for (float& v : t.values()) {
    const int p = pick(rng);
    v = p < 3 ? specials[p] : uniform(rng);
  }
  return t;
}

}  // namespace

TEST_CASE("edac layer: every row of the EDAC table", "[edac]") {
  for (bool rank4 : {true, false}) {
    Graph graph = single_layer_graph(table_layer(), rank4);
    set_bounds(graph, kLower, kUpper);
    // The filler 1.5 is inside every channel's interval.
    check_rows(graph, Device::cpu, edac_table_rows(), 1.5f, 1.5f);
  }
}

TEST_CASE("edac layer: faulty bounds", "[edac]") {
  Graph graph = single_layer_graph(table_layer(), true);
  // A NaN bound leaves nothing inside; so does lower > upper; an infinite bound never admits an Inf.
  set_bounds(graph, {kNaN, -1.0f, 3.0f}, {2.0f, kInf, 1.0f});
  const std::vector<Row> rows = {
      {0, 1.0f, 1.0f, 0, 0.0f},   // NaN lower bound
      {0, kNaN, 1.0f, 0, 0.0f},   //
      {1, 1e30f, 0, 0, 1e30f},    // upper bound +Inf: any finite value >= -1 is inside
      {1, kInf, 0, 0, 0.0f},      // but Inf is not
      {2, 2.0f, 2.0f, 0, 0.0f},   // [3, 1] is empty
      {2, kInf, -kInf, 0, 0.0f},  //
  };
  // The filler is outside channel 0's and channel 2's broken intervals: 0 there; channel 1 keeps it.
  const Tensor output = test::run_graph(graph, Device::cpu, rows_input(graph, rows, 1.5f));
  for (size_t n = 0; n < rows.size(); ++n) {
    INFO("row " << n);
    CHECK(bits(output[static_cast<int64_t>(n) * 3 + rows[n].channel]) == bits(rows[n].expected));
  }
}

TEST_CASE("edac layer in dup-only mode: the rows of duplication without intervals", "[edac]") {
  for (bool rank4 : {true, false}) {
    Graph graph = single_layer_graph(edac_spec("classifier.3.edac", 2, {1}, EdacMode::dup_only), rank4);
    CHECK(graph.parameters().size() == 0);  // no intervals, no parameters
    check_rows(graph, Device::cpu, dup_only_rows(), 1.5f, 1.5f);
  }
}

TEST_CASE("edac layer with nothing duplicated is intervals only", "[edac]") {
  Graph graph = single_layer_graph(edac_spec("e", 2, {}, EdacMode::edac), true);
  set_bounds(graph, {0.0f, -1.0f}, {1.0f, 1.0f});
  const Tensor out =
      test::run_graph(graph, Device::cpu, Tensor(Shape{2, 2, 1, 1}, {0.5f, kNaN, 1.5f, -kInf}));
  CHECK(out[0] == 0.5f);
  CHECK(out[1] == 0.0f);
  CHECK(out[2] == 0.0f);
  CHECK(out[3] == 0.0f);
}

TEST_CASE("tmr_vote layer: the voter's rows", "[edac][tmr]") {
  for (bool rank4 : {true, false}) {
    Graph graph = single_layer_graph(tmr_vote_spec("v", 2, {0}), rank4);
    check_rows(graph, Device::cpu, tmr_rows(), 1.5f, 1.5f);
  }
}

TEST_CASE("tmr_vote over three whole copies reads channels 0..C-1, C..2C-1 and 2C..3C-1", "[edac][tmr]") {
  Graph graph = single_layer_graph(tmr_vote_spec("v", 2, {0, 1}), true);
  // Item: channel 0 copies (1, 9, 1), channel 1 copies (4, 4, 8).
  const Tensor out =
      test::run_graph(graph, Device::cpu, Tensor(Shape{1, 6, 1, 1}, {1.0f, 4.0f, 9.0f, 4.0f, 1.0f, 8.0f}));
  CHECK(out[0] == 1.0f);
  CHECK(out[1] == 4.0f);
}

TEST_CASE("hardening layers on planes: every position gets its own decision", "[edac]") {
  // [N, C + D, H, W] with H * W = 6: the copy of channel c at position p is read at the same p.
  Graph planes(ModelSpec{"t", Shape{3, 2, 3}, 0, {edac_spec("e", 2, {1}, EdacMode::edac)}});
  set_bounds(planes, {-1.0f, -1.0f}, {1.0f, 1.0f});
  Tensor input(Shape{1, 3, 2, 3});
  for (int p = 0; p < 6; ++p) {
    input[p] = 0.1f * p;                   // channel 0: inside
    input[6 + p] = p == 2 ? 5.0f : 0.5f;   // channel 1: position 2 corrupted
    input[12 + p] = p == 4 ? kNaN : 0.5f;  // its copy: position 4 NaN (-> 0, inside)
  }
  const Tensor out = test::run_graph(planes, Device::cpu, input);
  for (int p = 0; p < 6; ++p) {
    INFO("position " << p);
    CHECK(out[p] == 0.1f * p);
    CHECK(out[6 + p] == (p == 4 ? 0.0f : 0.5f));  // min(0.5, 0) at 4; the copy at 2
  }
}

TEST_CASE("hardening layers refuse inconsistent channel lists", "[edac]") {
  LayerSpec bad = edac_spec("e", 3, {0, 3}, EdacMode::edac);
  CHECK_THROWS_WITH(Graph(ModelSpec{"t", Shape{5}, 0, {bad}}),
                    Catch::Contains("copied channel 3 is not in [0, 3)"));
  bad = edac_spec("e", 3, {1, 1}, EdacMode::edac);
  CHECK_THROWS_WITH(Graph(ModelSpec{"t", Shape{5}, 0, {bad}}), Catch::Contains("listed twice"));
  bad = tmr_vote_spec("v", 3, {0});
  bad.attrs<ChannelAttributes>().in_channels = 4;
  CHECK_THROWS_WITH(Graph(ModelSpec{"t", Shape{4}, 0, {bad}}), Catch::Contains("input channels"));
  // The input does not carry the copies.
  CHECK_THROWS_WITH(Graph(ModelSpec{"t", Shape{3, 2, 2}, 0, {edac_spec("e", 3, {0}, EdacMode::edac)}}),
                    Catch::Contains("expects input [N, 3 + 1 copies, ...]"));
}

TEST_CASE("hardening layers round-trip through the architecture JSON", "[edac][model]") {
  ModelSpec spec{"t",
                 Shape{7},
                 0,
                 {edac_spec("a.edac", 4, {3, 1}, EdacMode::edac), linear_spec("l", 4, 6),
                  tmr_vote_spec("l.vote", 2, {1, 0}), edac_spec("d.edac", 2, {}, EdacMode::dup_only)}};
  const std::string json = model_spec_to_json(spec);
  CHECK(json.find("\"duplicated\"") != std::string::npos);
  CHECK(json.find("\"triplicated\"") != std::string::npos);
  CHECK(json.find("\"dup-only\"") != std::string::npos);
  const ModelSpec back = model_spec_from_json(json, "test");
  REQUIRE(back.layers.size() == 4);
  CHECK(back.layers[0].attrs<EdacAttributes>().copied == std::vector<int64_t>{3, 1});
  CHECK(back.layers[0].attrs<EdacAttributes>().mode == EdacMode::edac);
  CHECK(back.layers[0].attrs<EdacAttributes>().in_channels == 6);
  CHECK(back.layers[2].attrs<TmrVoteAttributes>().copied == std::vector<int64_t>{1, 0});
  CHECK(back.layers[2].attrs<TmrVoteAttributes>().in_channels == 6);
  CHECK(back.layers[3].attrs<EdacAttributes>().mode == EdacMode::dup_only);
  CHECK(model_spec_to_json(back) == json);
  CHECK_THROWS_WITH(
      model_spec_from_json(
          R"({"arch": "t", "input": [3], "num_classes": 0, "layers": [{"name": "e", "type": "edac",
                          "in": 3, "out": 2, "mode": "triple", "duplicated": [0]}]})",
          "x.h5", 1),
      Catch::Contains("unknown edac mode 'triple'"));
}

TEST_CASE("edac and tmr_vote on CUDA: every row, bit for bit", "[cuda][edac]") {
  if (skip_without_gpu()) return;
  for (bool rank4 : {true, false}) {
    Graph table = single_layer_graph(table_layer(), rank4);
    set_bounds(table, kLower, kUpper);
    check_rows(table, Device::cuda, edac_table_rows(), 1.5f, 1.5f);
    Graph dup = single_layer_graph(edac_spec("d", 2, {1}, EdacMode::dup_only), rank4);
    check_rows(dup, Device::cuda, dup_only_rows(), 1.5f, 1.5f);
    Graph tmr = single_layer_graph(tmr_vote_spec("v", 2, {0}), rank4);
    check_rows(tmr, Device::cuda, tmr_rows(), 1.5f, 1.5f);
  }
}

TEST_CASE("edac and tmr_vote on CUDA equal the CPU on random planes with NaN and Inf", "[cuda][edac]") {
  if (skip_without_gpu()) return;
  // 7 channels, 3 copied (non-contiguous, out of order), planes 5 x 3, batch 4.
  const std::vector<LayerSpec> layers = {
      edac_spec("e", 7, {5, 0, 3}, EdacMode::edac), edac_spec("d", 7, {5, 0, 3}, EdacMode::dup_only),
      tmr_vote_spec("v", 7, {5, 0, 3}), tmr_vote_spec("w", 7, {0, 1, 2, 3, 4, 5, 6})};
  unsigned seed = 7;
  for (const LayerSpec& layer : layers) {
    const CopyAttributes& a = layer.attrs<CopyAttributes>();
    ModelSpec spec{"t", Shape{a.in_channels, 5, 3}, 0, {layer}};
    Graph graph(spec);
    const EdacAttributes* edac = layer.find_attrs<EdacAttributes>();
    if (edac != nullptr && edac->mode == EdacMode::edac) {
      set_bounds(graph, {-2, -1, -3, 0, -2.5f, -1, -2}, {2, 1, 3, 2, 2.5f, 0.5f, kInf});
    }
    Tensor input = random_specials(graph.input_shape(4), seed++);
    // Make a third of the copies equal to their original, as fault-free copies are.
    const int64_t out = a.out_channels, copies = static_cast<int64_t>(a.copied.size());
    for (int64_t n = 0; n < 4; ++n) {
      for (int64_t k = 0; k < copies; k += 3) {
        const int64_t c = a.copied[static_cast<size_t>(k)];
        for (int64_t p = 0; p < 15; ++p) {
          input[(n * a.in_channels + out + k) * 15 + p] = input[(n * a.in_channels + c) * 15 + p];
        }
      }
    }
    const Tensor cpu = test::run_graph(graph, Device::cpu, input);
    const Tensor cuda = test::run_graph(graph, Device::cuda, input);
    const test::Comparison c = test::compare(cuda, cpu, 0.0, 0.0);
    INFO(layer.name << ": cuda vs cpu: " << c.message);
    CHECK(c.ok);
    for (int64_t i = 0; i < cpu.numel(); ++i) {
      if (bits(cpu[i]) != bits(cuda[i])) {
        FAIL_CHECK(layer.name << ": element " << i << " differs in its bits");
        break;
      }
    }
  }
}
