// The explicit list of built-in ops: for each, its type, its model-file name, how to build it from a
// LayerSpec, its attributes' defaults and how to read and write its model-file fields. No static registrars;
// nothing else in the engine lists op types.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "engine/layer.hpp"

namespace ftcnn {

struct OpType {
  LayerType type;
  const char* name;  // the model file's "type"
  std::unique_ptr<Layer> (*make)(const LayerSpec& spec);
  // The op's attributes with their defaults (nullptr for an op without any).
  std::unique_ptr<OpAttributes> (*default_attributes)();
  void (*read_attributes)(const nlohmann::json& j, LayerSpec& spec);
  void (*write_attributes)(const LayerSpec& spec, nlohmann::json& j);
};

const OpType& op_type(LayerType type);
// The op named `name`; throws "unknown layer type '<name>' (<every name>)" otherwise.
const OpType& op_type(const std::string& name);

std::unique_ptr<Layer> make_layer(const LayerSpec& spec);

}  // namespace ftcnn
