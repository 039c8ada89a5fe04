// The built-in architectures, exactly as ../shared/weights/README.md defines them (module indices match the
// PyTorch state_dict keys), plus the small CNN of the bundled default model.
//   alexnet  AlexNet-CIFAR, CIFAR-10, 21,622,154 parameters
//   vgg11    VGG-11-BN, CIFAR-10, 9,228,362 parameters (convolutions without bias)
//   vgg16    VGG-16-BN, CIFAR-100, 34,015,396 parameters (convolutions with bias)
//   small    3 conv/BN/ReLU blocks + 2 FC layers, CIFAR-10 (the bundled default, see data/default/)
//   resnet20 ResNet-20 (He et al. 2016, CIFAR), option B shortcuts, CIFAR-10, 272,474 parameters
//   resnet18 ResNet-18, CIFAR variant (3x3 stem, no max pool), CIFAR-10, 11,173,962 parameters
// The ResNets are the Python twins' (python/ftcnn/models.py) node for node.
#pragma once

#include <string>
#include <vector>

#include "engine/model_spec.hpp"

namespace ftcnn {

std::vector<std::string> architecture_names();
// Throws listing the known names when `name` is not one of them.
ModelSpec build_architecture(const std::string& name);

}  // namespace ftcnn
