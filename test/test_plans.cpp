// Plans: a graph holds none, its runners keep one per batch size for their whole life (PlanCache). So a tail
// batch never re-plans, any number of runners share one graph, and on CUDA each convolution's cuDNN
// algorithm is chosen once per (layer, shape), reported, and can be pinned (a resumed campaign's).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>

#include "engine/cpu_context.hpp"
#include "engine/graph.hpp"
#include "engine/io/model_file.hpp"
#include "engine/runner.hpp"
#include "test/test_support.hpp"

#ifdef FTCNN_WITH_CUDA
#include "engine/cuda/cuda_runner.hpp"
#endif

namespace ftcnn {
namespace {

// Deterministic inputs in [-2, 2].
Tensor inputs(const Graph& graph, int64_t batch, uint32_t seed) {
  Tensor t(graph.input_shape(batch));
  uint32_t state = seed;
  for (int64_t i = 0; i < t.numel(); ++i) {
    state = state * 1664525u + 1013904223u;
    t[i] = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) * 4.0f - 2.0f;
  }
  return t;
}

Tensor forward(Runner& runner, const Graph& graph, const Tensor& input) {
  const int64_t batch = input.shape()[0];
  Tensor output(graph.output_shapes(batch).back());
  runner.forward(input.data(), batch, output.data());
  return output;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), sizeof(float) * a.numel()) == 0;
}

}  // namespace

TEST_CASE("a plan cache plans each batch size once and keeps it", "[plans]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  CpuContext cpu(1);
  ExecContext ctx;
  ctx.cpu = &cpu;
  PlanCache plans(*model.graph);
  const GraphPlan& five = plans.get(ctx, 5);
  const GraphPlan& three = plans.get(ctx, 3);
  CHECK(&plans.get(ctx, 5) == &five);  // not planned again
  CHECK(&plans.get(ctx, 3) == &three);
  CHECK(five.batch == 5);
  CHECK(three.shapes.back() == Shape{3, 10});
  CHECK(plans.arena_floats() == five.arena_floats());
  CHECK(plans.algorithms().empty());  // nothing to choose on the CPU
  ExecContext cuda_ctx;
  cuda_ctx.device = Device::cuda;
  CHECK_THROWS_WITH(plans.get(cuda_ctx, 5), Catch::Contains("a plan for cpu asked for on cuda"));
}

TEST_CASE("runners sharing a graph, and alternating batch sizes, give the same bits", "[plans]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  const Graph& graph = *model.graph;
  const Tensor big = inputs(graph, 7, 1), small = inputs(graph, 3, 2);
  auto reference = make_runner(*model.graph, Device::cpu, 1);
  const Tensor big_alone = forward(*reference, graph, big);
  auto other = make_runner(*model.graph, Device::cpu, 1);
  const Tensor small_alone = forward(*other, graph, small);

  auto a = make_runner(*model.graph, Device::cpu, 1);
  auto b = make_runner(*model.graph, Device::cpu, 1);
  for (int round = 0; round < 2; ++round) {
    CHECK(same_bits(forward(*a, graph, big), big_alone));
    CHECK(same_bits(forward(*b, graph, small), small_alone));
    CHECK(same_bits(forward(*a, graph, small), small_alone));
    CHECK(same_bits(forward(*b, graph, big), big_alone));
  }
}

TEST_CASE("hooks see every layer's input before it runs and its output after", "[plans]") {
  Model model = load_model(test::fixture_path("model_small.h5"));
  Graph& graph = *model.graph;
  CpuContext cpu(1);
  ExecContext ctx;
  ctx.cpu = &cpu;
  PlanCache plans(graph);
  const GraphPlan& plan = plans.get(ctx, 2);
  const Tensor input = inputs(graph, 2, 3);
  std::vector<float> arena(static_cast<size_t>(plan.arena_floats()));
  Tensor output(plan.shapes.back());
  std::vector<int> before, after;
  std::vector<Shape> seen;
  int checked = 0;
  LayerHooks hooks;
  hooks.before = [&](int layer, const Shape& shape, const float*) {
    before.push_back(layer);
    CHECK(shape == (layer == 0 ? graph.input_shape(2) : plan.shapes[static_cast<size_t>(layer - 1)]));
  };
  hooks.after = [&](int layer, const Shape& shape, float* out) {
    after.push_back(layer);
    seen.push_back(shape);
    // The ReLU hooks see non-negative values (or NaN): their own output.
    if (graph.layer(layer).type() == LayerType::relu) {
      for (int64_t i = 0; i < shape.numel(); ++i) CHECK_FALSE(out[i] < 0.0f);
      ++checked;
    }
  };
  graph.run(ctx, plan, ParameterView(graph.parameters(), graph.parameters().arena().data()), input.data(),
            arena.data(), output.data(), &hooks);
  std::vector<int> all(static_cast<size_t>(graph.size()));
  for (int i = 0; i < graph.size(); ++i) all[static_cast<size_t>(i)] = i;
  CHECK(before == all);
  CHECK(after == all);
  CHECK(seen == plan.shapes);
  CHECK(checked == 4);
  auto runner = make_runner(graph, Device::cpu, 1);
  CHECK(same_bits(output, forward(*runner, graph, input)));
}

#ifdef FTCNN_WITH_CUDA
TEST_CASE("CUDA: each convolution's algorithm is chosen once per shape, reported, and can be pinned",
          "[cuda][plans]") {
  if (test::skip_without_gpu()) return;
  Model model = load_model(test::fixture_path("model_small.h5"));
  const Graph& graph = *model.graph;
  const Tensor big = inputs(graph, 6, 4), tail = inputs(graph, 2, 5);
  auto runner = make_cuda_runner(*model.graph);
  const Tensor big_first = forward(*runner, graph, big);
  const Tensor tail_first = forward(*runner, graph, tail);
  const AlgorithmChoices chosen = runner->algorithms();
  // Three conv2d layers, two batch sizes.
  REQUIRE(chosen.size() == 6);
  CHECK(chosen.count("features.0 [6, 3, 32, 32]") == 1);
  CHECK(chosen.count("features.8 [2, 64, 8, 8]") == 1);
  for (int round = 0; round < 3; ++round) {
    CHECK(same_bits(forward(*runner, graph, big), big_first));
    CHECK(same_bits(forward(*runner, graph, tail), tail_first));
  }
  CHECK(runner->algorithms() == chosen);  // never chosen again

  // Another runner told to use these algorithms computes the same bits without timing anything.
  auto pinned = make_cuda_runner(*model.graph, 0, chosen);
  CHECK(same_bits(forward(*pinned, graph, big), big_first));
  CHECK(same_bits(forward(*pinned, graph, tail), tail_first));
  CHECK(pinned->algorithms() == chosen);
  AlgorithmChoices bogus = chosen;
  bogus["features.0 [6, 3, 32, 32]"] = "FASTEST";
  auto refused = make_cuda_runner(*model.graph, 0, bogus);
  CHECK_THROWS_WITH(forward(*refused, graph, big),
                    Catch::Contains("features.0") && Catch::Contains("'FASTEST' is not a cuDNN"));
}

TEST_CASE("CUDA: FTCNN_CUDA_SYNC=1 checks after every layer and computes the same bits", "[cuda][plans]") {
  if (test::skip_without_gpu()) return;
  Model model = load_model(test::fixture_path("model_small.h5"));
  const Graph& graph = *model.graph;
  const Tensor input = inputs(graph, 5, 6);
  auto plain = make_cuda_runner(*model.graph);
  CudaRunnerOptions options = CudaRunnerOptions::from_environment();
  options.sync_each_layer = true;
  auto synced = make_cuda_runner(*model.graph, 0, options);
  CHECK(same_bits(forward(*synced, graph, input), forward(*plain, graph, input)));
}
#endif

}  // namespace ftcnn
