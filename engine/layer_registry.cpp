#include "engine/layer_registry.hpp"

#include "engine/layers/add.hpp"
#include "engine/layers/avgpool2d.hpp"
#include "engine/layers/batchnorm2d.hpp"
#include "engine/layers/concat.hpp"
#include "engine/layers/conv2d.hpp"
#include "engine/layers/dropout.hpp"
#include "engine/layers/edac.hpp"
#include "engine/layers/flatten.hpp"
#include "engine/layers/linear.hpp"
#include "engine/layers/maxpool2d.hpp"
#include "engine/layers/relu.hpp"
#include "engine/layers/tmr_vote.hpp"

namespace ftcnn {

// A switch with no default: a new LayerType that is not listed here is a compile warning (an error under
// -Werror=switch).
std::unique_ptr<Layer> make_layer(const LayerSpec& spec) {
  switch (spec.type) {
    case LayerType::conv2d:
      return std::make_unique<Conv2d>(spec);
    case LayerType::linear:
      return std::make_unique<Linear>(spec);
    case LayerType::batchnorm2d:
      return std::make_unique<BatchNorm2d>(spec);
    case LayerType::relu:
      return std::make_unique<Relu>(spec);
    case LayerType::maxpool2d:
      return std::make_unique<MaxPool2d>(spec);
    case LayerType::avgpool2d:
      return std::make_unique<AvgPool2d>(spec);
    case LayerType::flatten:
      return std::make_unique<Flatten>(spec);
    case LayerType::dropout:
      return std::make_unique<Dropout>(spec);
    case LayerType::add:
      return std::make_unique<Add>(spec);
    case LayerType::concat:
      return std::make_unique<Concat>(spec);
    case LayerType::edac:
      return std::make_unique<Edac>(spec);
    case LayerType::tmr_vote:
      return std::make_unique<TmrVote>(spec);
  }
  return nullptr;
}

}  // namespace ftcnn
