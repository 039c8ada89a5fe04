// The explicit list of built-in layers: LayerSpec -> Layer. No static registrars.
#pragma once

#include <memory>

#include "engine/layer.hpp"

namespace ftcnn {

std::unique_ptr<Layer> make_layer(const LayerSpec& spec);

}  // namespace ftcnn
