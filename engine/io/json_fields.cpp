#include "engine/io/json_fields.hpp"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "engine/error.hpp"

namespace ftcnn {

int64_t json_integer(const nlohmann::json& value, const std::string& what) {
  const bool fits = value.is_number_unsigned()
                        ? value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                        : value.is_number_integer();
  FT_CHECK(fits, "{} must be an integer{}, got {}", what, value.is_number_unsigned() ? " below 2^63" : "",
           value.dump());
  return value.get<int64_t>();
}

double json_number(const nlohmann::json& value, const std::string& what) {
  FT_CHECK(value.is_number(), "{} must be a number, got {}", what, value.dump());
  return value.get<double>();
}

float json_float(const nlohmann::json& value, const std::string& what) {
  const double number = json_number(value, what);
  FT_CHECK(std::isfinite(number) && std::fabs(number) <= std::numeric_limits<float>::max(),
           "{} must be a finite float32 number, got {}", what, value.dump());
  return static_cast<float>(number);
}

}  // namespace ftcnn
