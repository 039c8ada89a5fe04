// Whole models: the bundled small architecture against PyTorch logits, the paper's three architectures'
// parameter counts, and (where ../shared is present) real weights against known accuracy-relevant logits.
#include <catch2/catch.hpp>

#include "engine/io/model_file.hpp"
#include "models/architectures.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

TEST_CASE("small model logits match PyTorch", "[model]") {
  const test::Comparison c = test::check_fixture("model_small.h5", Device::cpu, 1e-4, 1e-4);
  INFO(c.message);
  CHECK(c.ok);
}

TEST_CASE("paper architectures have the paper's parameter counts", "[model]") {
  CHECK(Graph(build_architecture("alexnet")).parameters().trainable_parameters() == 21622154);
  CHECK(Graph(build_architecture("vgg11")).parameters().trainable_parameters() == 9228362);
  CHECK(Graph(build_architecture("vgg16")).parameters().trainable_parameters() == 34015396);
  CHECK(Graph(build_architecture("alexnet")).macs_per_item() == 42313728);
}

TEST_CASE("architecture JSON round-trips", "[model]") {
  for (const std::string& name : architecture_names()) {
    const ModelSpec spec = build_architecture(name);
    const ModelSpec back = model_spec_from_json(model_spec_to_json(spec), "test");
    CHECK(model_spec_to_json(back) == model_spec_to_json(spec));
  }
}
