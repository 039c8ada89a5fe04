// relu, relu6, leaky_relu, flatten and dropout: PyTorch fixtures, plus NaN handling (a NaN must survive so
// that a corrupted activation reaches the logits and counts as a DUE).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "engine/layers/leaky_relu.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

TEST_CASE("relu, flatten and dropout match PyTorch exactly", "[relu][flatten][dropout]") {
  for (const char* name : {"relu_mixed.h5", "flatten_4x3x5.h5", "dropout_identity.h5"}) {
    const test::Comparison c = test::check_fixture(name, Device::cpu, 0.0, 0.0);
    INFO(c.message);
    CHECK(c.ok);
  }
}

TEST_CASE("relu6 and leaky_relu match PyTorch exactly", "[relu6][leaky_relu]") {
  for (const char* name : {"relu6_mixed.h5", "leaky_relu_0.2.h5"}) {
    const test::Comparison c = test::check_fixture(name, Device::cpu, 0.0, 0.0);
    INFO(c.message);
    CHECK(c.ok);
  }
}

TEST_CASE("relu6 and leaky_relu keep NaN and treat infinities as PyTorch", "[relu6][leaky_relu]") {
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor input(Shape{1, 5}, {std::nanf(""), -inf, inf, -2.0f, -0.0f});
  ModelSpec spec;
  spec.arch = "test";
  spec.input = Shape{5};
  spec.layers.push_back(simple_spec("relu6", LayerType::relu6));
  Graph relu6(spec);
  const Tensor six = test::run_graph(relu6, Device::cpu, input);
  CHECK(std::isnan(six[0]));
  CHECK(six[1] == 0.0f);
  CHECK(six[2] == 6.0f);
  CHECK(six[3] == 0.0f);
  CHECK(std::signbit(six[4]));  // -0 kept, as torch.clamp
  LayerSpec leaky = simple_spec("leaky", LayerType::leaky_relu);
  leaky.attrs<LeakyReluAttributes>().negative_slope = 0.25;
  spec.layers = {leaky};
  Graph leaky_graph(spec);
  const Tensor out = test::run_graph(leaky_graph, Device::cpu, input);
  CHECK(std::isnan(out[0]));
  CHECK(out[1] == -inf);
  CHECK(out[2] == inf);
  CHECK(out[3] == -0.5f);
  CHECK(std::signbit(out[4]));
  leaky.attrs<LeakyReluAttributes>().negative_slope = std::nan("");
  spec.layers = {leaky};
  CHECK_THROWS_WITH(Graph(spec), Catch::Contains("leaky") && Catch::Contains("negative_slope"));
}

TEST_CASE("relu keeps NaN and clamps -Inf", "[relu]") {
  ModelSpec spec;
  spec.arch = "test";
  spec.input = Shape{4};
  spec.layers.push_back(simple_spec("relu", LayerType::relu));
  Graph graph(spec);
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor out =
      test::run_graph(graph, Device::cpu, Tensor(Shape{1, 4}, {std::nanf(""), -inf, inf, -2.0f}));
  CHECK(std::isnan(out[0]));
  CHECK(out[1] == 0.0f);
  CHECK(out[2] == inf);
  CHECK(out[3] == 0.0f);
}
