// relu, flatten and dropout: PyTorch fixtures, plus NaN handling (a NaN must survive so that a corrupted
// activation reaches the logits and counts as a DUE).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "test/test_support.hpp"

using namespace ftcnn;

TEST_CASE("relu, flatten and dropout match PyTorch exactly", "[relu][flatten][dropout]") {
  for (const char* name : {"relu_mixed.h5", "flatten_4x3x5.h5", "dropout_identity.h5"}) {
    const test::Comparison c = test::check_fixture(name, Device::cpu, 0.0, 0.0);
    INFO(c.message);
    CHECK(c.ok);
  }
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
