// The built-in architectures, exactly as ../shared/weights/README.md defines them (module indices match the
// PyTorch state_dict keys), plus the small CNN of the bundled default model.
//   alexnet  AlexNet-CIFAR, CIFAR-10, 21,622,154 parameters
//   vgg11    VGG-11-BN, CIFAR-10, 9,228,362 parameters (convolutions without bias)
//   vgg16    VGG-16-BN, CIFAR-100, 34,015,396 parameters (convolutions with bias)
//   small    3 conv/BN/ReLU blocks + 2 FC layers, CIFAR-10 (the bundled default, see data/default/)
#pragma once

#include <string>
#include <vector>

#include "engine/model_spec.hpp"

namespace ftcnn {

std::vector<std::string> architecture_names();
// Throws listing the known names when `name` is not one of them.
ModelSpec build_architecture(const std::string& name);

}  // namespace ftcnn
