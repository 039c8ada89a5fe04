// Whole models: the bundled small architecture against PyTorch logits, the paper's three architectures'
// parameter counts, (where ../shared is present) real weights against known accuracy-relevant logits, and
// the op list.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/io/model_file.hpp"
#include "engine/layer_registry.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/conv2d.hpp"
#include "engine/layers/edac.hpp"
#include "engine/layers/leaky_relu.hpp"
#include "engine/layers/linear.hpp"
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
    nlohmann::json attributes_a, attributes_b;  // every field of the op, as the model file writes it
    op_type(a.type).write_attributes(a, attributes_a);
    op_type(b.type).write_attributes(b, attributes_b);
    CHECK(attributes_a == attributes_b);
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

TEST_CASE("an op's attributes live with the op and copy with the spec", "[model]") {
  // The ops with fields of their own get their attributes from the registry; the others none.
  const std::set<LayerType> with_fields = {
      LayerType::conv2d,    LayerType::linear,    LayerType::batchnorm2d, LayerType::leaky_relu,
      LayerType::maxpool2d, LayerType::avgpool2d, LayerType::edac,        LayerType::tmr_vote};
  for (int i = 0; i < kLayerTypeCount; ++i) {
    const LayerType type = static_cast<LayerType>(i);
    INFO(layer_type_name(type));
    CHECK((simple_spec("n", type).attributes.get() != nullptr) == (with_fields.count(type) == 1));
  }
  CHECK(simple_spec("c", LayerType::conv2d).find_attrs<Conv2dAttributes>() != nullptr);
  CHECK(simple_spec("p", LayerType::avgpool2d).find_attrs<PoolAttributes>() != nullptr);
  CHECK(simple_spec("r", LayerType::relu).find_attrs<ChannelAttributes>() == nullptr);
  CHECK(simple_spec("l", LayerType::leaky_relu).attrs<LeakyReluAttributes>().negative_slope == 0.01);

  // A copy owns its attributes: editing it leaves the original alone.
  const LayerSpec conv = conv2d_spec("features.0", 3, 8, 3, 1, 1, true);
  LayerSpec copy = conv;
  copy.attrs<Conv2dAttributes>().out_channels = 5;
  copy.attrs<Conv2dAttributes>().groups = 2;
  CHECK(conv.attrs<Conv2dAttributes>().out_channels == 8);
  CHECK(conv.attrs<Conv2dAttributes>().groups == 1);
  CHECK(out_channels_of(copy) == 5);
  LayerSpec assigned = linear_spec("fc", 4, 2);
  assigned = copy;
  CHECK(assigned.attrs<Conv2dAttributes>().groups == 2);

  // Asking a node for another op's attributes names the node.
  CHECK_THROWS_WITH(
      conv.attrs<LinearAttributes>(),
      Catch::Contains("node features.0 (conv2d) has no attributes of type ftcnn::LinearAttributes"));
  CHECK_THROWS_WITH(out_channels_of(simple_spec("act", LayerType::relu)), Catch::Contains("node act (relu)"));
  CHECK(edac_spec("e", 4, {1}, EdacMode::edac).attrs<CopyAttributes>().copies_each() == 1);
  CHECK(tmr_vote_spec("v", 4, {1}).attrs<CopyAttributes>().copies_each() == 2);
}
