#include "engine/layers/attributes.hpp"

#include <nlohmann/json.hpp>

namespace ftcnn::attributes {

void read_channels(const nlohmann::json& j, LayerSpec& spec) {
  spec.in_channels = j.at("in").get<int64_t>();
  spec.out_channels = j.at("out").get<int64_t>();
}

void write_channels(const LayerSpec& spec, nlohmann::json& j) {
  j["in"] = spec.in_channels;
  j["out"] = spec.out_channels;
}

void read_window(const nlohmann::json& j, LayerSpec& spec) {
  spec.kernel = j.at("kernel").get<std::array<int64_t, 2>>();
  spec.stride = j.at("stride").get<std::array<int64_t, 2>>();
  spec.padding = j.at("padding").get<std::array<int64_t, 2>>();
}

void write_window(const LayerSpec& spec, nlohmann::json& j) {
  j["kernel"] = spec.kernel;
  j["stride"] = spec.stride;
  j["padding"] = spec.padding;
}

void read_bias(const nlohmann::json& j, LayerSpec& spec) {
  spec.bias = j.at("bias").get<bool>();
}

void write_bias(const LayerSpec& spec, nlohmann::json& j) {
  j["bias"] = spec.bias;
}

void read_copied(const nlohmann::json& j, const char* key, LayerSpec& spec) {
  spec.copied = j.at(key).get<std::vector<int64_t>>();
}

void write_copied(const LayerSpec& spec, const char* key, nlohmann::json& j) {
  j[key] = spec.copied;
}

}  // namespace ftcnn::attributes
