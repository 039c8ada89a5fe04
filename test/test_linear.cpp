#include <catch2/catch.hpp>

#include "engine/layers/linear.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

TEST_CASE("linear matches PyTorch with either CPU backend", "[linear]") {
  for (const char* backend : {"ordered", "blas"}) {  // FTCNN_CPU_LINEAR, engine/cpu_context.hpp
    const test::ScopedEnvironment linear("FTCNN_CPU_LINEAR", backend);
    for (const char* name : {"linear_bias.h5", "linear_nobias.h5"}) {
      const test::Comparison c = test::check_fixture(name, Device::cpu, 1e-5, 1e-4);
      INFO(backend << ": " << c.message);
      CHECK(c.ok);
    }
  }
}

TEST_CASE("linear checks its input width", "[linear]") {
  Linear linear(linear_spec("classifier.0", 12, 4));
  CHECK(linear.output_shape(Shape{5, 3, 2, 2}) == Shape({5, 4}));  // flattened implicitly: 12 values per item
  CHECK_THROWS_WITH(linear.output_shape(Shape{5, 13}), Catch::Contains("classifier.0"));
}
