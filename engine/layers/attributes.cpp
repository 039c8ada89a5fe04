#include "engine/layers/attributes.hpp"

#include <nlohmann/json.hpp>

#include "engine/error.hpp"
#include "engine/io/json_fields.hpp"

namespace ftcnn::attributes {
namespace {

// An integer field as written: 32.7 or "32" is refused, not read as 32.
int64_t integer(const nlohmann::json& j, const char* key) {
  return json_integer(j.at(key), fmt::format("field '{}'", key));
}

// A [h, w] field: exactly two integers.
std::array<int64_t, 2> pair(const nlohmann::json& j, const char* key) {
  const nlohmann::json& value = j.at(key);
  FT_CHECK(value.is_array() && value.size() == 2, "field '{}' must be [h, w], two integers, got {}", key,
           value.dump());
  const std::string what = fmt::format("field '{}'", key);
  return {json_integer(value[0], what), json_integer(value[1], what)};
}

}  // namespace

void read_channels(const nlohmann::json& j, LayerSpec& spec) {
  spec.in_channels = integer(j, "in");
  spec.out_channels = integer(j, "out");
}

void write_channels(const LayerSpec& spec, nlohmann::json& j) {
  j["in"] = spec.in_channels;
  j["out"] = spec.out_channels;
}

void read_window(const nlohmann::json& j, LayerSpec& spec) {
  spec.kernel = pair(j, "kernel");
  spec.stride = pair(j, "stride");
  spec.padding = pair(j, "padding");
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
  const nlohmann::json& value = j.at(key);
  FT_CHECK(value.is_array(), "field '{}' must be a list of channel indices, got {}", key, value.dump());
  spec.copied.clear();
  for (const nlohmann::json& c : value)
    spec.copied.push_back(json_integer(c, fmt::format("field '{}' (channel indices)", key)));
}

void write_copied(const LayerSpec& spec, const char* key, nlohmann::json& j) {
  j[key] = spec.copied;
}

}  // namespace ftcnn::attributes
