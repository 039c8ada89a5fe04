#include <catch2/catch.hpp>

#include <cmath>

#include "test/test_support.hpp"

using namespace ftcnn;

TEST_CASE("maxpool2d and avgpool2d match PyTorch", "[maxpool2d][avgpool2d]") {
  for (const char* name : {"maxpool2d_2x2_s2.h5", "maxpool2d_3x3_s2_p1.h5"}) {
    const test::Comparison c = test::check_fixture(name, Device::cpu, 0.0, 0.0);
    INFO(c.message);
    CHECK(c.ok);
  }
  for (const char* name : {"avgpool2d_2x2_s2.h5", "avgpool2d_3x3_s2_p1.h5"}) {
    const test::Comparison c = test::check_fixture(name, Device::cpu, 1e-6, 1e-6);
    INFO(c.message);
    CHECK(c.ok);
  }
}

TEST_CASE("global_avgpool matches PyTorch", "[global_avgpool]") {
  // PyTorch sums the plane in vector lanes (an order that depends on the processor): rounding apart.
  for (const char* name : {"global_avgpool_7x5.h5", "global_avgpool_8x8.h5"}) {
    const test::Comparison c = test::check_fixture(name, Device::cpu, 1e-6, 1e-6);
    INFO(c.message);
    CHECK(c.ok);
  }
}

TEST_CASE("global_avgpool refuses an input without a plane", "[global_avgpool]") {
  ModelSpec spec;
  spec.arch = "test";
  spec.input = Shape{12};
  spec.layers.push_back(simple_spec("avgpool", LayerType::global_avgpool));
  CHECK_THROWS_WITH(Graph(spec), Catch::Contains("avgpool") && Catch::Contains("[N, C, H, W]"));
}

TEST_CASE("maxpool2d lets a NaN win its window", "[maxpool2d]") {
  ModelSpec spec;
  spec.arch = "test";
  spec.input = Shape{1, 2, 4};
  spec.layers.push_back(pool_spec("pool", LayerType::maxpool2d, 2, 2));
  Graph graph(spec);
  const Tensor out =
      test::run_graph(graph, Device::cpu,
                      Tensor(Shape{1, 1, 2, 4}, {1.0f, std::nanf(""), 5.0f, 2.0f, 3.0f, 0.0f, 1.0f, 9.0f}));
  CHECK(std::isnan(out[0]));
  CHECK(out[1] == 9.0f);
}

TEST_CASE("pooling rejects windows that do not fit", "[maxpool2d]") {
  ModelSpec spec;
  spec.arch = "test";
  spec.input = Shape{1, 1, 1};
  spec.layers.push_back(pool_spec("features.2", LayerType::maxpool2d, 2, 2));
  CHECK_THROWS_WITH(Graph(spec), Catch::Contains("features.2") && Catch::Contains("does not fit"));
}
