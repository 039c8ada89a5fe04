#include "engine/layer_registry.hpp"

#include <type_traits>

#include "engine/error.hpp"
#include "engine/layers/add.hpp"
#include "engine/layers/avgpool2d.hpp"
#include "engine/layers/batchnorm2d.hpp"
#include "engine/layers/concat.hpp"
#include "engine/layers/conv2d.hpp"
#include "engine/layers/dropout.hpp"
#include "engine/layers/edac.hpp"
#include "engine/layers/flatten.hpp"
#include "engine/layers/global_avgpool.hpp"
#include "engine/layers/leaky_relu.hpp"
#include "engine/layers/linear.hpp"
#include "engine/layers/maxpool2d.hpp"
#include "engine/layers/relu.hpp"
#include "engine/layers/relu6.hpp"
#include "engine/layers/tmr_vote.hpp"

namespace ftcnn {
namespace {

template <typename Op>
constexpr OpType op() {
  return {Op::kType,
          Op::kTypeName,
          [](const LayerSpec& spec) -> std::unique_ptr<Layer> { return std::make_unique<Op>(spec); },
          []() -> std::unique_ptr<OpAttributes> {
            if constexpr (std::is_void_v<typename Op::Attributes>) {
              return nullptr;
            } else {
              return std::make_unique<typename Op::Attributes>();
            }
          },
          Op::read_attributes,
          Op::write_attributes};
}

// One line per op (test/test_models.cpp checks that every LayerType is here once).
const OpType kOps[] = {
    op<Conv2d>(),    op<Linear>(),    op<BatchNorm2d>(), op<Relu>(),          op<Relu6>(),
    op<LeakyRelu>(), op<MaxPool2d>(), op<AvgPool2d>(),   op<GlobalAvgPool>(), op<Flatten>(),
    op<Dropout>(),   op<Add>(),       op<Concat>(),      op<Edac>(),          op<TmrVote>(),
};

}  // namespace

const OpType& op_type(LayerType type) {
  for (const OpType& op : kOps) {
    if (op.type == type) return op;
  }
  FT_THROW("layer type {} is not registered", static_cast<int>(type));
}

const OpType& op_type(const std::string& name) {
  std::string names;
  for (const OpType& op : kOps) {
    if (name == op.name) return op;
    names += (names.empty() ? "" : ", ") + std::string(op.name);
  }
  FT_THROW("unknown layer type '{}' ({})", name, names);
}

std::unique_ptr<Layer> make_layer(const LayerSpec& spec) {
  return op_type(spec.type).make(spec);
}

const char* layer_type_name(LayerType type) {
  return op_type(type).name;
}

LayerType layer_type_from_name(const std::string& name) {
  return op_type(name).type;
}

}  // namespace ftcnn
