#include "models/architectures.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/error.hpp"

namespace ftcnn {
namespace {

constexpr int kPool = 0;  // marks "M" in a VGG configuration

std::string features(int index) {
  return fmt::format("features.{}", index);
}
std::string classifier(int index) {
  return fmt::format("classifier.{}", index);
}

// VGG-BN feature extractor: c -> Conv3x3(pad 1) -> BatchNorm2d -> ReLU, kPool -> MaxPool 2x2; module indices
// advance as in torchvision's make_layers.
int add_vgg_features(ModelSpec& spec, const std::vector<int>& config, bool conv_bias) {
  int index = 0;
  int64_t channels = 3;
  for (int entry : config) {
    if (entry == kPool) {
      spec.layers.push_back(pool_spec(features(index++), LayerType::maxpool2d, 2, 2));
      continue;
    }
    spec.layers.push_back(conv2d_spec(features(index++), channels, entry, 3, 1, 1, conv_bias));
    spec.layers.push_back(batchnorm2d_spec(features(index++), entry));
    spec.layers.push_back(simple_spec(features(index++), LayerType::relu));
    channels = entry;
  }
  spec.layers.push_back(simple_spec("flatten", LayerType::flatten));
  return static_cast<int>(channels);
}

ModelSpec vgg11() {
  ModelSpec spec;
  spec.arch = "vgg11";
  spec.num_classes = 10;
  add_vgg_features(spec, {64, kPool, 128, kPool, 256, 256, kPool, 512, 512, kPool, 512, 512, kPool}, false);
  spec.layers.push_back(linear_spec(classifier(0), 512, 10));
  return spec;
}

ModelSpec vgg16() {
  ModelSpec spec;
  spec.arch = "vgg16";
  spec.num_classes = 100;
  add_vgg_features(
      spec,
      {64, 64, kPool, 128, 128, kPool, 256, 256, 256, kPool, 512, 512, 512, kPool, 512, 512, 512, kPool},
      true);
  spec.layers.push_back(linear_spec(classifier(0), 512, 4096));
  spec.layers.push_back(simple_spec(classifier(1), LayerType::relu));
  spec.layers.push_back(simple_spec(classifier(2), LayerType::dropout));
  spec.layers.push_back(linear_spec(classifier(3), 4096, 4096));
  spec.layers.push_back(simple_spec(classifier(4), LayerType::relu));
  spec.layers.push_back(simple_spec(classifier(5), LayerType::dropout));
  spec.layers.push_back(linear_spec(classifier(6), 4096, 100));
  return spec;
}

ModelSpec alexnet() {
  ModelSpec spec;
  spec.arch = "alexnet";
  spec.num_classes = 10;
  auto& l = spec.layers;
  l.push_back(conv2d_spec(features(0), 3, 96, 11, 4, 5, true));
  l.push_back(simple_spec(features(1), LayerType::relu));
  l.push_back(pool_spec(features(2), LayerType::maxpool2d, 2, 2));
  l.push_back(conv2d_spec(features(3), 96, 256, 5, 1, 2, true));
  l.push_back(simple_spec(features(4), LayerType::relu));
  l.push_back(pool_spec(features(5), LayerType::maxpool2d, 2, 2));
  l.push_back(conv2d_spec(features(6), 256, 384, 3, 1, 1, true));
  l.push_back(simple_spec(features(7), LayerType::relu));
  l.push_back(conv2d_spec(features(8), 384, 384, 3, 1, 1, true));
  l.push_back(simple_spec(features(9), LayerType::relu));
  l.push_back(conv2d_spec(features(10), 384, 256, 3, 1, 1, true));
  l.push_back(simple_spec(features(11), LayerType::relu));
  l.push_back(pool_spec(features(12), LayerType::maxpool2d, 2, 2));
  l.push_back(simple_spec("flatten", LayerType::flatten));
  l.push_back(simple_spec(classifier(0), LayerType::dropout));
  l.push_back(linear_spec(classifier(1), 256, 4096));
  l.push_back(simple_spec(classifier(2), LayerType::relu));
  l.push_back(simple_spec(classifier(3), LayerType::dropout));
  l.push_back(linear_spec(classifier(4), 4096, 4096));
  l.push_back(simple_spec(classifier(5), LayerType::relu));
  l.push_back(linear_spec(classifier(6), 4096, 10));
  return spec;
}

ModelSpec small() {
  ModelSpec spec;
  spec.arch = "small";
  spec.num_classes = 10;
  auto& l = spec.layers;
  const int64_t widths[] = {32, 64, 128};
  int64_t channels = 3;
  int index = 0;
  for (int block = 0; block < 3; ++block) {
    l.push_back(conv2d_spec(features(index++), channels, widths[block], 3, 1, 1, false));
    l.push_back(batchnorm2d_spec(features(index++), widths[block]));
    l.push_back(simple_spec(features(index++), LayerType::relu));
    // Max pooling in the first two blocks, average pooling in the last: the default exercises both.
    l.push_back(pool_spec(features(index++), block < 2 ? LayerType::maxpool2d : LayerType::avgpool2d, 2, 2));
    channels = widths[block];
  }
  l.push_back(simple_spec("flatten", LayerType::flatten));
  l.push_back(simple_spec(classifier(0), LayerType::dropout));
  l.push_back(linear_spec(classifier(1), 128 * 4 * 4, 128));
  l.push_back(simple_spec(classifier(2), LayerType::relu));
  l.push_back(linear_spec(classifier(3), 128, 10));
  return spec;
}

// A CIFAR ResNet of basic blocks: stem conv-BN-ReLU; per stage `blocks` blocks of conv-BN-ReLU-conv-BN plus
// the shortcut, add, ReLU, where the first block of every later stage has stride 2 and a 1x1 conv + BN
// projection shortcut (option B); global average pool, flatten, linear. Names as torchvision's ResNet.
ModelSpec resnet(const std::string& arch, const std::vector<int64_t>& widths, int blocks) {
  ModelSpec spec;
  spec.arch = arch;
  spec.num_classes = 10;
  auto& l = spec.layers;
  const auto node = [&l](LayerSpec layer, std::string input = "") -> const std::string& {
    if (!input.empty()) layer.inputs = {std::move(input)};
    l.push_back(std::move(layer));
    return l.back().name;
  };
  node(conv2d_spec("conv1", 3, widths[0], 3, 1, 1, false));
  node(batchnorm2d_spec("bn1", widths[0]));
  std::string previous = node(simple_spec("relu", LayerType::relu));
  int64_t channels = widths[0];
  for (size_t stage = 0; stage < widths.size(); ++stage) {
    const int64_t width = widths[stage];
    for (int block = 0; block < blocks; ++block) {
      const std::string b = fmt::format("layer{}.{}", stage + 1, block);
      const int64_t stride = stage > 0 && block == 0 ? 2 : 1;
      node(conv2d_spec(b + ".conv1", channels, width, 3, stride, 1, false), previous);
      node(batchnorm2d_spec(b + ".bn1", width));
      node(simple_spec(b + ".relu1", LayerType::relu));
      node(conv2d_spec(b + ".conv2", width, width, 3, 1, 1, false));
      node(batchnorm2d_spec(b + ".bn2", width));
      std::string shortcut = previous;
      if (stride != 1 || channels != width) {
        node(conv2d_spec(b + ".downsample.0", channels, width, 1, stride, 0, false), previous);
        shortcut = node(batchnorm2d_spec(b + ".downsample.1", width));
      }
      node(join_spec(b + ".add", LayerType::add, {b + ".bn2", shortcut}));
      previous = node(simple_spec(b + ".relu2", LayerType::relu));
      channels = width;
    }
  }
  node(simple_spec("avgpool", LayerType::global_avgpool));
  node(simple_spec("flatten", LayerType::flatten));
  node(linear_spec("fc", channels, 10));
  return spec;
}

}  // namespace

std::vector<std::string> architecture_names() {
  return {"alexnet", "vgg11", "vgg16", "small", "resnet20", "resnet18"};
}

ModelSpec build_architecture(const std::string& name) {
  if (name == "alexnet") return alexnet();
  if (name == "vgg11") return vgg11();
  if (name == "vgg16") return vgg16();
  if (name == "small") return small();
  if (name == "resnet20") return resnet("resnet20", {16, 32, 64}, 3);
  if (name == "resnet18") return resnet("resnet18", {64, 128, 256, 512}, 2);
  FT_THROW("unknown architecture '{}' (known: {})", name, fmt::join(architecture_names(), ", "));
}

}  // namespace ftcnn
