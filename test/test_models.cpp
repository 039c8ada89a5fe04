// Whole models: the bundled small architecture against PyTorch logits, the paper's three architectures'
// parameter counts, (where ../shared is present) real weights against known accuracy-relevant logits, and
// the op list.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "engine/io/model_file.hpp"
#include "engine/layer_registry.hpp"
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

TEST_CASE("the ResNets have He et al.'s parameter counts with option B shortcuts", "[model][resnet]") {
  // ResNet-20: 269,722 with option A (zero-padded identity shortcuts) + two 1x1 projections with BatchNorm.
  CHECK(Graph(build_architecture("resnet20")).parameters().trainable_parameters() ==
        269722 + 16 * 32 + 2 * 32 + 32 * 64 + 2 * 64);
  CHECK(Graph(build_architecture("resnet18")).parameters().trainable_parameters() == 11173962);
  // Multiply-accumulates per 32x32 image: the stem, 18 block convolutions, 2 projections, the classifier.
  CHECK(Graph(build_architecture("resnet20")).macs_per_item() == 40813184);
}

TEST_CASE("the built-in ResNet-20 is the Python package's, node for node", "[model][resnet]") {
  // vuln_resnet20.h5 stores python/ftcnn/models.py's resnet20 architecture.
  const Model python = load_model(test::fixture_path("vuln_resnet20.h5"));
  const Graph built(build_architecture("resnet20"));
  REQUIRE(python.graph->size() == built.size());
  for (int i = 0; i < built.size(); ++i) {
    const LayerSpec& a = python.graph->layer(i).spec();
    const LayerSpec& b = built.layer(i).spec();
    INFO("node " << i << " " << b.name);
    CHECK(a.name == b.name);
    CHECK(a.type == b.type);
    CHECK(python.graph->inputs(i) == built.inputs(i));
    CHECK(a.in_channels == b.in_channels);
    CHECK(a.out_channels == b.out_channels);
    CHECK(a.kernel == b.kernel);
    CHECK(a.stride == b.stride);
    CHECK(a.padding == b.padding);
    CHECK(a.bias == b.bias);
  }
}

TEST_CASE("architecture JSON round-trips", "[model]") {
  for (const std::string& name : architecture_names()) {
    const ModelSpec spec = build_architecture(name);
    const ModelSpec back = model_spec_from_json(model_spec_to_json(spec), "test");
    CHECK(model_spec_to_json(back) == model_spec_to_json(spec));
  }
}

TEST_CASE("every layer type is registered once, under its own name", "[model]") {
  std::set<std::string> names;
  for (int i = 0; i < kLayerTypeCount; ++i) {
    const LayerType type = static_cast<LayerType>(i);
    const OpType& op = op_type(type);
    CHECK(op.type == type);
    CHECK(names.insert(op.name).second);
    CHECK(&op_type(std::string(op.name)) == &op);
  }
  CHECK_THROWS_WITH(op_type(std::string("conv3d")),
                    Catch::StartsWith("unknown layer type 'conv3d' (conv2d, linear"));
}
