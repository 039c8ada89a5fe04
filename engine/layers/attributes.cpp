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

void read_channels(const nlohmann::json& j, ChannelAttributes& a) {
  a.in_channels = integer(j, "in");
  a.out_channels = integer(j, "out");
}

void write_channels(const ChannelAttributes& a, nlohmann::json& j) {
  j["in"] = a.in_channels;
  j["out"] = a.out_channels;
}

void read_window(const nlohmann::json& j, WindowSpec& w) {
  w.kernel = pair(j, "kernel");
  w.stride = pair(j, "stride");
  w.padding = pair(j, "padding");
}

void write_window(const WindowSpec& w, nlohmann::json& j) {
  j["kernel"] = w.kernel;
  j["stride"] = w.stride;
  j["padding"] = w.padding;
}

bool read_bias(const nlohmann::json& j) {
  return j.at("bias").get<bool>();
}

void read_copied(const nlohmann::json& j, const char* key, CopyAttributes& a) {
  const nlohmann::json& value = j.at(key);
  FT_CHECK(value.is_array(), "field '{}' must be a list of channel indices, got {}", key, value.dump());
  a.copied.clear();
  for (const nlohmann::json& c : value)
    a.copied.push_back(json_integer(c, fmt::format("field '{}' (channel indices)", key)));
}

void write_copied(const CopyAttributes& a, const char* key, nlohmann::json& j) {
  j[key] = a.copied;
}

}  // namespace ftcnn::attributes
