#include "engine/fault/fault_targets.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "engine/enum_names.hpp"
#include "engine/error.hpp"

namespace ftcnn {
namespace {

constexpr EnumName<BitRange> kBitRanges[] = {{BitRange::all, "all"},
                                             {BitRange::sign, "sign"},
                                             {BitRange::exponent, "exponent"},
                                             {BitRange::mantissa, "mantissa"}};

bool layer_selected(const std::vector<std::string>& wanted, const std::string& layer) {
  if (wanted.empty()) return true;
  for (const std::string& w : wanted) {
    if (w == layer) return true;
    if (!w.empty() && w.back() == '.' && layer.compare(0, w.size(), w) == 0) return true;
  }
  return false;
}

}  // namespace

const char* bit_range_name(BitRange range) {
  return enum_name(kBitRanges, range);
}

uint32_t bit_range_first(BitRange range) {
  switch (range) {
    case BitRange::all:
      return 0;
    case BitRange::sign:
      return 31;
    case BitRange::exponent:
      return 23;
    case BitRange::mantissa:
      return 0;
  }
  return 0;
}

uint32_t bit_range_count(BitRange range) {
  switch (range) {
    case BitRange::all:
      return 32;
    case BitRange::sign:
      return 1;
    case BitRange::exponent:
      return 8;
    case BitRange::mantissa:
      return 23;
  }
  return 0;
}

TargetSelection parse_target_selection(const std::string& text) {
  TargetSelection selection;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    FT_CHECK(eq != std::string::npos, "'{}' is not key=value (keys: layer, kind, bits)", item);
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "layer") {
      FT_CHECK(!value.empty(), "empty layer name");
      selection.layers.push_back(value);
    } else if (key == "kind") {
      selection.kinds.push_back(param_kind_from_name(value));
    } else if (key == "bits") {
      selection.bits = enum_from_name(kBitRanges, value, "bit range");
    } else {
      FT_THROW("unknown key '{}' (keys: layer, kind, bits)", key);
    }
  }
  return selection;
}

std::string describe(const TargetSelection& s) {
  std::string text;
  for (const auto& l : s.layers) text += "layer=" + l + ",";
  for (ParamKind k : s.kinds) text += std::string("kind=") + param_kind_name(k) + ",";
  text += std::string("bits=") + bit_range_name(s.bits);
  return text;
}

FaultTargets::FaultTargets(const ParameterStore& store, const TargetSelection& selection)
    : selection_(selection),
      bit_first_(bit_range_first(selection.bits)),
      bit_count_(bit_range_count(selection.bits)) {
  std::set<std::string> matched_layers;
  for (int i = 0; i < store.size(); ++i) {
    const ParameterInfo& p = store.info(i);
    const bool kind_ok = selection.kinds.empty() || std::find(selection.kinds.begin(), selection.kinds.end(),
                                                              p.kind) != selection.kinds.end();
    if (!kind_ok || !layer_selected(selection.layers, p.layer) || p.numel() == 0) continue;
    for (const std::string& w : selection.layers) {
      if (layer_selected({w}, p.layer)) matched_layers.insert(w);
    }
    if (layers_.empty() || layers_.back() != p.layer) {
      layers_.push_back(p.layer);
      groups_.push_back(TargetGroup{static_cast<int32_t>(tensors_.size()), 0, 0, 0});
    }
    TargetGroup& group = groups_.back();
    tensors_.push_back(TargetTensor{p.offset, group.elements, p.numel(), i});
    group.tensor_count += 1;
    group.elements += p.numel();
    group.bits = static_cast<uint64_t>(group.elements) * bit_count_;
  }
  for (const std::string& w : selection.layers) {
    FT_CHECK(matched_layers.count(w) == 1, "layer '{}' has no selected parameters in this model", w);
  }
  FT_CHECK(!groups_.empty(), "'{}' selects no parameter of this model", describe(selection));
}

int64_t FaultTargets::total_elements() const {
  int64_t total = 0;
  for (const TargetGroup& g : groups_) total += g.elements;
  return total;
}

}  // namespace ftcnn
