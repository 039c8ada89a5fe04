#include <catch2/catch.hpp>

#include "test/test_support.hpp"

using namespace ftcnn;

TEST_CASE("batchnorm2d matches PyTorch in eval mode", "[batchnorm2d]") {
  for (const char* name : {"batchnorm2d_eps1e-5.h5", "batchnorm2d_eps1e-3.h5"}) {
    const test::Comparison c = test::check_fixture(name, Device::cpu, 1e-6, 1e-5);
    INFO(c.message);
    CHECK(c.ok);
  }
}
