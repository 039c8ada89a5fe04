// conv2d on the CPU: PyTorch fixtures (odd shapes, stride 2, padding, rectangular kernels, batch > 1), and a
// naive reference convolution on small integers, where every sum is exact and must match bit for bit.
#include <catch2/catch.hpp>

#include "engine/layers/conv2d.hpp"
#include "test/test_support.hpp"

using namespace ftcnn;

TEST_CASE("conv2d matches PyTorch", "[conv2d]") {
  for (const char* name : {"conv2d_3x3_s1_p1_bias.h5", "conv2d_5x5_s2_p2_nobias.h5", "conv2d_11x11_s4_p5.h5",
                           "conv2d_1x1_s1_p0.h5", "conv2d_3x3_s2_p0.h5", "conv2d_3x5_s2x1_p1x2.h5",
                           "conv2d_groups2.h5", "conv2d_depthwise_s2.h5"}) {
    const test::Comparison c = test::check_fixture(name, Device::cpu, 1e-5, 1e-4);
    INFO(c.message);
    CHECK(c.ok);
  }
}

TEST_CASE("conv2d is exact on small integers against a naive reference", "[conv2d]") {
  ModelSpec spec;
  spec.arch = "test";
  spec.input = Shape{3, 7, 6};
  spec.layers.push_back(conv2d_spec("conv", 3, 5, 3, 2, 1, true));
  Graph graph(spec);
  ParameterStore& store = graph.parameters();
  float* weight = store.host(store.find("conv.weight"));
  float* bias = store.host(store.find("conv.bias"));
  for (int i = 0; i < 5 * 3 * 3 * 3; ++i) weight[i] = static_cast<float>((i * 7) % 5 - 2);
  for (int i = 0; i < 5; ++i) bias[i] = static_cast<float>(i - 2);
  Tensor input(Shape{2, 3, 7, 6});
  for (int64_t i = 0; i < input.numel(); ++i) input[i] = static_cast<float>((i * 13) % 9 - 4);

  const Tensor actual = test::run_graph(graph, Device::cpu, input);
  REQUIRE(actual.shape() == Shape({2, 5, 4, 3}));
  for (int n = 0; n < 2; ++n) {
    for (int o = 0; o < 5; ++o) {
      for (int oh = 0; oh < 4; ++oh) {
        for (int ow = 0; ow < 3; ++ow) {
          float sum = bias[o];
          for (int c = 0; c < 3; ++c) {
            for (int ki = 0; ki < 3; ++ki) {
              for (int kj = 0; kj < 3; ++kj) {
                const int ih = oh * 2 - 1 + ki, iw = ow * 2 - 1 + kj;
                if (ih < 0 || ih >= 7 || iw < 0 || iw >= 6) continue;
                sum += weight[((o * 3 + c) * 3 + ki) * 3 + kj] * input[((n * 3 + c) * 7 + ih) * 6 + iw];
              }
            }
          }
          REQUIRE(actual[((n * 5 + o) * 4 + oh) * 3 + ow] == sum);
        }
      }
    }
  }
}

TEST_CASE("grouped conv2d: the weight holds in / groups input channels, and groups must divide", "[conv2d]") {
  ModelSpec spec;
  spec.arch = "test";
  spec.input = Shape{6, 5, 5};
  LayerSpec conv = conv2d_spec("conv", 6, 4, 3, 1, 1, false);
  conv.attrs<Conv2dAttributes>().groups = 2;
  spec.layers = {conv};
  Graph graph(spec);
  CHECK(graph.parameters().info(graph.parameters().find("conv.weight")).shape == Shape{4, 3, 3, 3});
  CHECK(graph.macs_per_item() == 4 * 25 * 3 * 9);
  // Group 1 sees only channels 3-5: an input that is zero there gives the bias-free group 1 zeros.
  Tensor input(Shape{1, 6, 5, 5});
  for (int64_t i = 0; i < 3 * 25; ++i) input[i] = 1.0f;
  const Tensor out = test::run_graph(graph, Device::cpu, input);
  for (int64_t i = 2 * 25; i < 4 * 25; ++i) REQUIRE(out[i] == 0.0f);
  conv.attrs<Conv2dAttributes>().groups = 4;  // does not divide 6
  spec.layers = {conv};
  CHECK_THROWS_WITH(Graph(spec), Catch::Contains("conv") && Catch::Contains("groups = 4"));
}

TEST_CASE("conv2d rejects inputs that do not fit", "[conv2d]") {
  Conv2d conv(conv2d_spec("features.0", 3, 8, 5, 1, 0, true));
  CHECK_THROWS_WITH(conv.output_shape(Shape{1, 4, 9, 9}),
                    Catch::Contains("features.0") && Catch::Contains("[N, 3, H, W]"));
  CHECK_THROWS_WITH(conv.output_shape(Shape{1, 3, 4, 9}), Catch::Contains("smaller than the kernel"));
  CHECK(conv.output_shape(Shape{2, 3, 9, 7}) == Shape({2, 8, 5, 3}));
}
