// Models with branches (a DAG): a residual network made in PyTorch (test/generate_residual_fixture.py:
// identity and 1x1-conv shortcuts, a concat, a tensor read by two nodes) runs with PyTorch's logits and
// predictions; its activations fit in the peak of live tensors plus one buffer; the whole workflow (eval,
// campaign, profile, vuln, harden --mode edac) runs on it; files of format version 1 still load and new ones
// name every node's inputs; a bad DAG is one clear error. Eq. (1) on it against autograd is in
// test_vulnerability.cpp (the same fixture).
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/cpu_context.hpp"
#include "engine/graph.hpp"
#include "engine/io/hdf5_file.hpp"
#include "engine/io/model_file.hpp"
#include "engine/layers/conv2d.hpp"
#include "engine/runner.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

namespace {

const std::string kResidual = test::fixture_path("residual_small.h5");
const std::string kBundled = std::string(FTCNN_SOURCE_DIR) + "/data/default/small_cifar10.h5";
const std::string kData = std::string(FTCNN_SOURCE_DIR) + "/data/default/cifar10-test-slice";

int64_t argmax(const float* row, int64_t count) {
  return std::max_element(row, row + count) - row;
}

ModelSpec two_branch_spec(LayerType join, int64_t right_channels) {
  ModelSpec spec;
  spec.arch = "branches";
  spec.input = Shape{2, 4, 4};
  spec.layers = {conv2d_spec("left", 2, 3, 3, 1, 1, true),
                 conv2d_spec("right", 2, right_channels, 1, 1, 0, true),
                 join_spec("join", join, {"left", "right"}), simple_spec("relu", LayerType::relu)};
  spec.layers[1].inputs = {kModelInputName};
  return spec;
}

}  // namespace

TEST_CASE("a residual network from PyTorch gives PyTorch's logits and predictions", "[dag]") {
  Model model = load_model(kResidual);
  const H5File file = H5File::open_read(kResidual);
  const Tensor input = file.read_tensor("fixture_input");
  const Tensor expected = file.read_tensor("fixture_output");
  CHECK_FALSE(model.graph->is_chain());
  const Tensor logits = test::run_graph(*model.graph, Device::cpu, input);
  const test::Comparison c = test::compare(logits, expected, 1e-5, 0.0);
  INFO(c.message);
  CHECK(c.ok);
  const int64_t classes = model.graph->spec().num_classes;
  for (int64_t n = 0; n < input.shape()[0]; ++n) {
    CHECK(argmax(logits.data() + n * classes, classes) == argmax(expected.data() + n * classes, classes));
  }
}

TEST_CASE("activations take the peak of live tensors plus at most one buffer", "[dag]") {
  for (const std::string& path : {kResidual, kBundled}) {
    Model model = load_model(path);
    const Graph& graph = *model.graph;
    const int64_t batch = 1000;
    const ActivationLayout layout = graph.activation_layout(batch, std::vector<int>(graph.size(), 0));
    int64_t largest = 0;
    for (const Shape& s : graph.output_shapes(batch)) largest = std::max(largest, s.numel());
    fmt::print("{} at batch {}: arena {} floats, largest sum of live tensors {} floats, largest tensor {}\n",
               graph.spec().arch, batch, layout.arena, layout.live_peak, largest);
    CHECK(layout.live_peak > 0);
    CHECK(layout.arena >= layout.live_peak);
    CHECK(layout.arena <= layout.live_peak + largest);
    if (graph.is_chain()) CHECK(layout.arena <= 2 * largest);  // never more than the two ping-pong buffers
  }
}

TEST_CASE("live activations never share memory", "[dag]") {
  // The same batch split in two gives the same logits item by item: a buffer reused while still live would
  // corrupt the runs differently (batches of 6 and of 3 have their own layouts).
  Model model = load_model(kResidual);
  Graph& graph = *model.graph;
  const Tensor input = H5File::open_read(kResidual).read_tensor("fixture_input");
  const Tensor whole = test::run_graph(graph, Device::cpu, input);
  const int64_t classes = graph.spec().num_classes, per_item = input.shape().per_item();
  for (int64_t half = 0; half < 2; ++half) {
    Tensor part(graph.input_shape(3));
    std::copy(input.data() + half * 3 * per_item, input.data() + (half + 1) * 3 * per_item, part.data());
    const Tensor expected(Shape{3, classes}, std::vector<float>(whole.data() + half * 3 * classes,
                                                                whole.data() + (half + 1) * 3 * classes));
    const test::Comparison c = test::compare(test::run_graph(graph, Device::cpu, part), expected, 1e-6, 0.0);
    INFO(c.message);
    CHECK(c.ok);
  }
}

TEST_CASE("add and concat on the CPU: the sum in input order, the channels one after another", "[dag]") {
  for (LayerType join : {LayerType::add, LayerType::concat}) {
    ModelSpec spec = two_branch_spec(join, 3);
    spec.layers.pop_back();  // the join is the output
    Graph graph(spec);
    std::vector<float>& parameters = graph.parameters().arena();
    for (size_t i = 0; i < parameters.size(); ++i) parameters[i] = 0.01f * static_cast<float>(i % 37) - 0.2f;
    Tensor input(graph.input_shape(2));
    for (int64_t i = 0; i < input.numel(); ++i) input[i] = 0.1f * static_cast<float>(i % 11) - 0.5f;
    // The branches' outputs as the executor hands them on, then the join's output.
    CpuContext cpu(2);
    ExecContext ctx;
    ctx.cpu = &cpu;
    const GraphPlan plan = graph.prepare(ctx, 2);
    std::vector<float> arena(static_cast<size_t>(plan.arena_floats()));
    std::vector<float> branch[2];
    LayerHooks hooks;
    hooks.after = [&](int layer, const Shape& shape, float* out) {
      if (layer < 2) branch[layer].assign(out, out + shape.numel());
    };
    Tensor joined(plan.shapes.back());
    graph.run(ctx, plan, ParameterView(graph.parameters(), parameters.data()), input.data(), arena.data(),
              joined.data(), &hooks);
    const std::vector<float>& a = branch[0];
    const std::vector<float>& b = branch[1];
    REQUIRE(a.size() == 96);
    REQUIRE(b.size() == 96);
    if (join == LayerType::add) {
      REQUIRE(joined.shape() == Shape{2, 3, 4, 4});
      for (size_t i = 0; i < a.size(); ++i) CHECK(joined[static_cast<int64_t>(i)] == a[i] + b[i]);
    } else {
      REQUIRE(joined.shape() == Shape{2, 6, 4, 4});
      for (int64_t n = 0; n < 2; ++n) {
        for (int64_t k = 0; k < 48; ++k) {
          CHECK(joined[n * 96 + k] == a[static_cast<size_t>(n * 48 + k)]);
          CHECK(joined[n * 96 + 48 + k] == b[static_cast<size_t>(n * 48 + k)]);
        }
      }
    }
  }
}

TEST_CASE("a bad DAG is refused naming the node", "[dag]") {
  struct Case {
    LayerType join;
    int64_t right_channels;
    std::function<void(ModelSpec&)> edit;
    const char* message;
  };
  const Case cases[] = {
      {LayerType::add, 3, [](ModelSpec& s) { s.layers[0].inputs = {"right"}; },
       "node left: input 'right' is not a node before it"},
      {LayerType::add, 3,
       [](ModelSpec& s) {
         s.layers[2].inputs = {"left", "nowhere"};
       },
       "node join: input 'nowhere' is not a node before it"},
      {LayerType::add, 4, [](ModelSpec&) {},
       "layer join (add): adds inputs of one shape, given [1, 3, 4, 4] and [1, 4, 4, 4]"},
      {LayerType::concat, 3, [](ModelSpec& s) { s.layers[2].inputs = {"left"}; },
       "layer join (concat): joins two or more inputs, given 1"},
      {LayerType::add, 3,
       [](ModelSpec& s) {
         s.layers[3].inputs = {"left", "right"};
       },
       "layer relu (relu): takes one input, given 2"},
      {LayerType::add, 3, [](ModelSpec& s) { s.layers[3].name = kModelInputName; }, "names the model input"},
      {LayerType::add, 3, [](ModelSpec& s) { s.layers[3].name = "left"; }, "two nodes are named 'left'"},
      {LayerType::add, 3,
       [](ModelSpec& s) {
         s.layers[3] = edac_spec("left.edac", 2, {1}, EdacMode::dup_only);
         s.layers[3].inputs = {"left"};
       },
       "layer left.edac (edac) must be the only reader of left, which 2 nodes read"},
  };
  for (const Case& c : cases) {
    ModelSpec spec = two_branch_spec(c.join, c.right_channels);
    c.edit(spec);
    CHECK_THROWS_WITH(Graph(spec), Catch::Contains(c.message));
  }
}

TEST_CASE(
    "format version 1 files load as chains, and files written now are version 2 with every node's inputs",
    "[dag]") {
  test::TempDir dir;
  {
    const H5File bundled = H5File::open_read(kBundled);
    CHECK(bundled.int_attribute("format_version").value_or(-1) == 1);  // as shipped
  }
  Model model = load_model(kBundled);
  CHECK(model.graph->is_chain());
  const std::string copy = dir.path() + "/copy.h5";
  save_model(copy, *model.graph, model.info);
  const H5File written = H5File::open_read(copy);
  CHECK(written.int_attribute("format_version").value_or(-1) == 2);
  const std::string architecture = written.string_attribute("architecture").value_or("");
  CHECK(architecture.find("\"inputs\"") != std::string::npos);
  Model back = load_model(copy);
  CHECK(model_spec_to_json(back.graph->spec()) == model_spec_to_json(model.graph->spec()));
  // Each version's own rules: version 2 names every node's inputs, version 1 is a chain.
  const std::string chain =
      R"({"arch": "t", "input": [4], "num_classes": 0, "layers": [{"name": "r", "type": "relu"}]})";
  CHECK(model_spec_from_json(chain, "v1.h5", 1).layers[0].inputs.empty());
  CHECK_THROWS_WITH(model_spec_from_json(chain, "v2.h5", 2), Catch::Contains("v2.h5: malformed"));
  const std::string joined = R"({"arch": "t", "input": [4], "num_classes": 0, "layers": [
      {"name": "r", "type": "relu", "inputs": ["input"]}, {"name": "a", "type": "add", "inputs": ["r", "input"]}]})";
  CHECK(model_spec_from_json(joined, "v2.h5", 2).layers[1].inputs == std::vector<std::string>{"r", "input"});
  CHECK_THROWS_WITH(
      model_spec_from_json(joined, "v1.h5", 1),
      Catch::Contains("v1.h5: bad architecture description: node r: a format version 1 model is a chain"));
  CHECK_THROWS_WITH(model_spec_from_json(R"({"arch": "t", "input": [4], "num_classes": 0, "layers": [
      {"name": "r", "type": "relu", "inputs": []}]})",
                                         "v2.h5", 2),
                    Catch::Contains("node r: no inputs"));
  // Fields as written: no float read as an integer, no [h, w] of another length.
  const auto conv = [](const std::string& field) {
    return R"({"arch": "t", "input": [3, 8, 8], "num_classes": 0, "layers": [{"name": "c", "type": "conv2d",
        "inputs": ["input"], "in": 3, "out": 4, "kernel": [3, 3], "stride": [1, 1], "padding": [1, 1], "bias": true, )" +
           field + "}]}";
  };
  CHECK(model_spec_from_json(conv(R"("x": 0)"), "ok.h5").layers[0].attrs<Conv2dAttributes>().out_channels ==
        4);
  CHECK_THROWS_WITH(model_spec_from_json(conv(R"("out": 32.7)"), "f.h5"),
                    Catch::Contains("node c: field 'out' must be an integer, got 32.7"));
  CHECK_THROWS_WITH(model_spec_from_json(conv(R"("out": 100000000000000000000)"), "f.h5"),
                    Catch::Contains("node c: field 'out' must be an integer, got 1e+20"));
  CHECK_THROWS_WITH(model_spec_from_json(conv(R"("out": 18446744073709551615)"), "f.h5"),
                    Catch::Contains("field 'out' must be an integer below 2^63, got 18446744073709551615"));
  // Found by fuzz_model_json: an input dimension of 5.6e54 was converted to int64 (undefined behaviour).
  CHECK_THROWS_WITH(model_spec_from_json(R"({"arch": "t", "input": [3, 9, 5.6e54], "num_classes": 0,
      "layers": [{"name": "p", "type": "avgpool2d", "inputs": ["input"], "kernel": [2, 2], "stride": [2, 2],
      "padding": [0, 0]}]})",
                                         "f.h5"),
                    Catch::Contains("f.h5: architecture input must be an integer, got 5.6e+54"));
  CHECK_THROWS_WITH(model_spec_from_json(conv(R"("kernel": [3, 2.5])"), "f.h5"),
                    Catch::Contains("node c: field 'kernel' must be an integer, got 2.5"));
  CHECK_THROWS_WITH(model_spec_from_json(conv(R"("kernel": [3, 3, 3])"), "f.h5"),
                    Catch::Contains("node c: field 'kernel' must be [h, w], two integers, got [3,3,3]"));
  Model residual = load_model(kResidual);
  const std::string residual_copy = dir.path() + "/residual.h5";
  save_model(residual_copy, *residual.graph, residual.info);
  CHECK(model_spec_to_json(load_model(residual_copy).graph->spec()) ==
        model_spec_to_json(residual.graph->spec()));
}

TEST_CASE("the workflow runs on a residual network: eval, campaign, profile, vuln, harden --mode edac",
          "[dag][cli]") {
  test::TempDir dir;
  const std::string d = dir.path();
  auto run = [](const std::string& arguments) {
    const test::CommandResult r = test::run_ftcnn(arguments);
    INFO(arguments << "\n" << r.output);
    REQUIRE(r.exit_code == 0);
    return r;
  };
  run(fmt::format("eval --model {} --data {} --limit 200 --logits {}/plain.h5 --threads 2", kResidual, kData,
                  d));
  run(
      fmt::format("campaign --model {} --data {} --images 100 --ber 1e-4,1e-3 --reps 3 --seed 2 --out {}/c "
                  "--threads 2",
                  kResidual, kData, d));
  CHECK(test::exists(d + "/c/summary.csv"));
  run(fmt::format("profile --model {} --data {} --split test --images 200 --out {}/iv.h5 --threads 2",
                  kResidual, kData, d));
  run(fmt::format("vuln --model {} --data {} --split test --images 16 --out {}/v.h5 --threads 2", kResidual,
                  kData, d));
  run(
      fmt::format("harden --model {} --mode edac --ratio 0.25 --intervals {}/iv.h5 --ranking {}/v.h5 --out "
                  "{}/h.h5",
                  kResidual, d, d, d));
  // The shortcut's and the blocks' convolutions are protected, and the adds read the corrections.
  Model hardened = load_model(d + "/h.h5");
  const Graph& g = *hardened.graph;
  for (int i = 0; i < g.size(); ++i) {
    if (g.layer(i).type() != LayerType::add) continue;
    for (int p : g.inputs(i)) CHECK(g.layer(p).type() != LayerType::conv2d);
  }
  // Fault-free, the hardened model computes the plain one's logits bit for bit.
  run(fmt::format("eval --model {}/h.h5 --data {} --limit 200 --logits {}/hardened.h5 --threads 2", d, kData,
                  d));
  const Tensor plain = H5File::open_read(d + "/plain.h5").read_tensor("logits");
  const Tensor protected_logits = H5File::open_read(d + "/hardened.h5").read_tensor("logits");
  CHECK(test::compare(protected_logits, plain, 0.0, 0.0).ok);
  run(
      fmt::format("campaign --model {}/h.h5 --data {} --images 100 --ber 1e-4 --reps 3 --seed 2 --out {}/ch "
                  "--threads 2",
                  d, kData, d));
  CHECK(test::exists(d + "/ch/summary.csv"));
  // Pruning by the Eq. (1) scores: the channels an add ties go together, and the pruned network runs.
  run(fmt::format("prune --model {} --conv-ratio 0.25 --fc-ratio 0 --scores {}/v.h5 --out {}/p.h5", kResidual,
                  d, d));
  Model pruned = load_model(d + "/p.h5");
  const auto provenance = nlohmann::json::parse(pruned.info.provenance_json);
  std::map<std::string, nlohmann::json> removed;
  for (const nlohmann::json& layer : provenance.at("pruning").at("layers"))
    removed[layer.at("layer").get<std::string>()] = layer.at("removed");
  CHECK(removed.at("stem.0") == removed.at("layer1.conv2"));
  CHECK(removed.at("layer2.conv2") == removed.at("layer2.shortcut.0"));
  CHECK(removed.at("layer2.conv2").size() == 4);
  run(fmt::format("eval --model {}/p.h5 --data {} --limit 100 --threads 2", d, kData));
}

TEST_CASE("the executor runs a DAG on CUDA as on the CPU, add and concat bit for bit", "[cuda][dag]") {
  if (test::skip_without_gpu()) return;
  for (LayerType join : {LayerType::add, LayerType::concat}) {
    ModelSpec spec = two_branch_spec(join, 3);
    spec.layers[0] = simple_spec("left", LayerType::relu);  // exact ops only: the join itself is compared
    spec.layers[1] = simple_spec("right", LayerType::dropout);
    spec.layers[1].inputs = {kModelInputName};
    spec.input = Shape{3, 5, 7};
    Graph graph(spec);
    Tensor input(graph.input_shape(4));
    for (int64_t i = 0; i < input.numel(); ++i) input[i] = 0.37f * static_cast<float>((i * 7919) % 23) - 4.0f;
    CHECK(test::compare(test::run_graph(graph, Device::cuda, input),
                        test::run_graph(graph, Device::cpu, input), 0.0, 0.0)
              .ok);
  }
  Model model = load_model(kResidual);
  const Tensor input = H5File::open_read(kResidual).read_tensor("fixture_input");
  const test::Comparison c = test::compare(test::run_graph(*model.graph, Device::cuda, input),
                                           test::run_graph(*model.graph, Device::cpu, input), 1e-5, 1e-4);
  INFO(c.message);
  CHECK(c.ok);
}
