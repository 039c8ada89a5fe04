#include "engine/model_spec.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "engine/enum_names.hpp"
#include "engine/error.hpp"
#include "engine/io/json_fields.hpp"
#include "engine/layer_registry.hpp"
#include "engine/layers/batchnorm2d.hpp"
#include "engine/layers/conv2d.hpp"
#include "engine/layers/edac.hpp"
#include "engine/layers/linear.hpp"
#include "engine/layers/tmr_vote.hpp"

namespace ftcnn {
namespace {

constexpr EnumName<EdacMode> kEdacModes[] = {{EdacMode::edac, "edac"}, {EdacMode::dup_only, "dup-only"}};

}  // namespace

const char* edac_mode_name(EdacMode mode) {
  return enum_name(kEdacModes, mode);
}

EdacMode edac_mode_from_name(const std::string& name) {
  return enum_from_name(kEdacModes, name, "edac mode");
}

std::string model_spec_to_json(const ModelSpec& spec) {
  const std::vector<std::vector<int>> inputs = resolve_inputs(spec);
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& l = spec.layers[i];
    nlohmann::json names = nlohmann::json::array();
    for (int input : inputs[i]) names.push_back(input < 0 ? kModelInputName : spec.layers[input].name);
    nlohmann::json j = {{"name", l.name}, {"type", layer_type_name(l.type)}, {"inputs", std::move(names)}};
    op_type(l.type).write_attributes(l, j);
    layers.push_back(std::move(j));
  }
  nlohmann::json root = {{"arch", spec.arch},
                         {"input", spec.input.dims()},
                         {"num_classes", spec.num_classes},
                         {"layers", std::move(layers)}};
  return root.dump(1);
}

ModelSpec model_spec_from_json(const std::string& text, const std::string& origin, int64_t format_version) {
  try {
    const nlohmann::json root = nlohmann::json::parse(text);
    ModelSpec spec;
    spec.arch = root.at("arch").get<std::string>();
    const nlohmann::json& input = root.at("input");
    FT_CHECK(input.is_array(), "{}: architecture input must be a list of integers, got {}", origin,
             input.dump());
    std::vector<int64_t> dims;
    for (const nlohmann::json& d : input) dims.push_back(json_integer(d, origin + ": architecture input"));
    spec.input = Shape(dims);
    FT_CHECK(spec.input.rank() == 3 || spec.input.rank() == 1,
             "{}: architecture input must be [C, H, W] or [features], got {}", origin, spec.input.str());
    spec.num_classes = json_integer(root.at("num_classes"), origin + ": num_classes");
    for (const nlohmann::json& j : root.at("layers")) {
      LayerSpec l;
      l.name = j.at("name").get<std::string>();
      const OpType& op = op_type(j.at("type").get<std::string>());
      l.type = op.type;
      l.attributes.reset(op.default_attributes());
      if (format_version >= 2) {
        l.inputs = j.at("inputs").get<std::vector<std::string>>();
        FT_CHECK(!l.inputs.empty(), "node {}: no inputs", l.name);
      } else {
        FT_CHECK(!j.contains("inputs") && op.type != LayerType::add && op.type != LayerType::concat,
                 "node {}: a format version 1 model is a chain: no \"inputs\", no add or concat", l.name);
      }
      try {
        op.read_attributes(j, l);
      } catch (const Error& e) {
        throw Error(fmt::format("node {}: {}", l.name, e.what()));
      }
      spec.layers.push_back(std::move(l));
    }
    resolve_inputs(spec);  // validates the names
    return spec;
  } catch (const nlohmann::json::exception& e) {
    FT_THROW("{}: malformed architecture description: {}", origin, e.what());
  } catch (const Error& e) {
    FT_THROW("{}: bad architecture description: {}", origin, e.what());
  }
}

LayerSpec conv2d_spec(std::string name, int64_t in, int64_t out, int64_t kernel, int64_t stride,
                      int64_t padding, bool bias) {
  LayerSpec l = simple_spec(std::move(name), LayerType::conv2d);
  Conv2dAttributes& a = l.set_attrs<Conv2dAttributes>();
  a.in_channels = in;
  a.out_channels = out;
  a.kernel = {kernel, kernel};
  a.stride = {stride, stride};
  a.padding = {padding, padding};
  a.bias = bias;
  return l;
}

LayerSpec linear_spec(std::string name, int64_t in, int64_t out, bool bias) {
  LayerSpec l = simple_spec(std::move(name), LayerType::linear);
  LinearAttributes& a = l.set_attrs<LinearAttributes>();
  a.in_channels = in;
  a.out_channels = out;
  a.bias = bias;
  return l;
}

LayerSpec batchnorm2d_spec(std::string name, int64_t channels, double eps) {
  LayerSpec l = simple_spec(std::move(name), LayerType::batchnorm2d);
  BatchNorm2dAttributes& a = l.set_attrs<BatchNorm2dAttributes>();
  a.in_channels = channels;
  a.out_channels = channels;
  a.eps = eps;
  return l;
}

LayerSpec pool_spec(std::string name, LayerType type, int64_t kernel, int64_t stride, int64_t padding) {
  FT_CHECK(type == LayerType::maxpool2d || type == LayerType::avgpool2d, "pool_spec: {} is not a pooling op",
           layer_type_name(type));
  LayerSpec l = simple_spec(std::move(name), type);
  PoolAttributes& a = l.set_attrs<PoolAttributes>();
  a.kernel = {kernel, kernel};
  a.stride = {stride, stride};
  a.padding = {padding, padding};
  return l;
}

LayerSpec simple_spec(std::string name, LayerType type) {
  LayerSpec l;
  l.name = std::move(name);
  l.type = type;
  l.attributes.reset(op_type(type).default_attributes());
  return l;
}

LayerSpec join_spec(std::string name, LayerType type, std::vector<std::string> inputs) {
  LayerSpec l = simple_spec(std::move(name), type);
  l.inputs = std::move(inputs);
  return l;
}

std::vector<std::vector<int>> resolve_inputs(const ModelSpec& spec) {
  std::map<std::string, int> index;
  std::vector<std::vector<int>> inputs;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& l = spec.layers[i];
    FT_CHECK(!l.name.empty(), "node {} has no name", i);
    FT_CHECK(l.name != kModelInputName, "node {}: '{}' names the model input; no node may take it", i,
             kModelInputName);
    std::vector<int> resolved;
    if (l.inputs.empty()) resolved.push_back(static_cast<int>(i) - 1);
    for (const std::string& name : l.inputs) {
      if (name == kModelInputName) {
        resolved.push_back(-1);
        continue;
      }
      const auto it = index.find(name);
      FT_CHECK(it != index.end(), "node {}: input '{}' is not a node before it", l.name, name);
      resolved.push_back(it->second);
    }
    FT_CHECK(index.emplace(l.name, static_cast<int>(i)).second, "two nodes are named '{}'", l.name);
    inputs.push_back(std::move(resolved));
  }
  return inputs;
}

bool is_chain(const ModelSpec& spec) {
  const std::vector<std::vector<int>> inputs = resolve_inputs(spec);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] != std::vector<int>{static_cast<int>(i) - 1}) return false;
  }
  return true;
}

LayerSpec edac_spec(std::string name, int64_t channels, std::vector<int64_t> duplicated, EdacMode mode) {
  LayerSpec l = simple_spec(std::move(name), LayerType::edac);
  EdacAttributes& a = l.set_attrs<EdacAttributes>();
  a.in_channels = channels + static_cast<int64_t>(duplicated.size());
  a.out_channels = channels;
  a.copied = std::move(duplicated);
  a.mode = mode;
  return l;
}

LayerSpec tmr_vote_spec(std::string name, int64_t channels, std::vector<int64_t> triplicated) {
  LayerSpec l = simple_spec(std::move(name), LayerType::tmr_vote);
  TmrVoteAttributes& a = l.set_attrs<TmrVoteAttributes>();
  a.in_channels = channels + 2 * static_cast<int64_t>(triplicated.size());
  a.out_channels = channels;
  a.copied = std::move(triplicated);
  return l;
}

void LayerSpec::missing_attributes(const char* wanted) const {
  // The type's name as written in the source ("ftcnn::Conv2dAttributes"), not the mangled one.
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> readable(abi::__cxa_demangle(wanted, nullptr, nullptr, &status),
                                                  std::free);
  FT_THROW("node {} ({}) has no attributes of type {}", name, layer_type_name(type),
           status == 0 && readable ? readable.get() : wanted);
}

}  // namespace ftcnn
