// Fields of the JSON documents ftcnn reads (model files, campaign logs, fault lists), taken exactly as
// written: 30.9 or "30" where an integer belongs is refused rather than read as 30, and an integer beyond
// int64 (1e20 written as 100000000000000000000) is refused rather than wrapped.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace ftcnn {

// Throws "<what> must be an integer, got <value>" unless `value` is a JSON integer within int64.
int64_t json_integer(const nlohmann::json& value, const std::string& what);
// Throws "<what> must be a number, got <value>" unless `value` is a JSON number (integer or not).
double json_number(const nlohmann::json& value, const std::string& what);
// Throws unless `value` is a finite JSON number within float32's range (1e300 would become Inf).
float json_float(const nlohmann::json& value, const std::string& what);

}  // namespace ftcnn
