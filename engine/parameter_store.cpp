#include "engine/parameter_store.hpp"

#include <fmt/format.h>

#include <cstring>

#include "engine/enum_names.hpp"
#include "engine/error.hpp"
#include "engine/memory_limit.hpp"

namespace ftcnn {
namespace {

constexpr EnumName<ParamKind> kParamKinds[] = {{ParamKind::weight, "weight"},
                                               {ParamKind::bias, "bias"},
                                               {ParamKind::bn_weight, "bn_weight"},
                                               {ParamKind::bn_bias, "bn_bias"},
                                               {ParamKind::bn_running_mean, "bn_running_mean"},
                                               {ParamKind::bn_running_var, "bn_running_var"},
                                               {ParamKind::edac_lower, "edac_lower"},
                                               {ParamKind::edac_upper, "edac_upper"}};

}  // namespace

const char* param_kind_name(ParamKind kind) {
  return enum_name(kParamKinds, kind);
}

ParamKind param_kind_from_name(const std::string& name) {
  return enum_from_name(kParamKinds, name, "kind");
}

int ParameterStore::add(std::string name, std::string layer, ParamKind kind, Shape shape) {
  FT_CHECK(by_name_.count(name) == 0, "parameter '{}' declared twice", name);
  const int64_t end = static_cast<int64_t>(arena_.size());
  const int64_t offset = (end + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
  check_fits_memory(checked_product(offset + shape.numel(), sizeof(float), name),
                    fmt::format("parameter '{}' {} (the model's parameters up to it)", name, shape.str()));
  arena_.resize(static_cast<size_t>(offset + shape.numel()), 0.0f);
  const int index = size();
  by_name_.emplace(name, index);
  infos_.push_back(ParameterInfo{std::move(name), std::move(layer), kind, std::move(shape), offset});
  return index;
}

int ParameterStore::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? -1 : it->second;
}

bool is_trainable(ParamKind kind) {
  switch (kind) {
    case ParamKind::weight:
    case ParamKind::bias:
    case ParamKind::bn_weight:
    case ParamKind::bn_bias:
      return true;
    case ParamKind::bn_running_mean:
    case ParamKind::bn_running_var:
    case ParamKind::edac_lower:  // profiled, not trained
    case ParamKind::edac_upper:
      return false;
  }
  return false;
}

int64_t ParameterStore::trainable_parameters() const {
  int64_t total = 0;
  for (const auto& info : infos_) total += is_trainable(info.kind) ? info.numel() : 0;
  return total;
}

int64_t ParameterStore::total_elements() const {
  int64_t total = 0;
  for (const auto& info : infos_) total += info.numel();
  return total;
}

uint64_t ParameterStore::checksum(const float* arena) const {
  uint64_t hash = 1469598103934665603ull;
  for (const auto& info : infos_) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(arena + info.offset);
    const size_t count = static_cast<size_t>(info.numel()) * sizeof(float);
    for (size_t i = 0; i < count; ++i) {
      hash ^= bytes[i];
      hash *= 1099511628211ull;
    }
  }
  return hash;
}

std::string ParameterStore::checksum_hex() const {
  return fmt::format("{:016x}", checksum());
}

}  // namespace ftcnn
