// Which parameter bits a campaign may flip, grouped by layer.
//
// A fault target is one bit of one float32 element of a parameter tensor. Tensors are selected by layer
// name (exact, or a prefix ending in '.') and by kind (weight, bias, BatchNorm gamma/beta/running stats),
// bits by range (all 32, the sign, the 8 exponent bits, the 23 mantissa bits). Fault counts are drawn per
// group (one group = the selected tensors of one layer, as the paper counts faults per layer), and sites are
// uniform over a group's selected bits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/parameter_store.hpp"

namespace ftcnn {

enum class BitRange { all, sign, exponent, mantissa };

const char* bit_range_name(BitRange range);
// First bit (0 = least significant) and number of bits of a range.
uint32_t bit_range_first(BitRange range);
uint32_t bit_range_count(BitRange range);

struct TargetSelection {
  std::vector<std::string> layers;  // empty: every layer
  std::vector<ParamKind> kinds;     // empty: every kind
  BitRange bits = BitRange::all;
};

// Parses "layer=features.0,layer=classifier.,kind=weight,bits=exponent" (any order; "" selects everything).
// Throws naming the bad item.
TargetSelection parse_target_selection(const std::string& text);
std::string describe(const TargetSelection& selection);

// Plain-data tables, shared with the CUDA kernels.
struct TargetTensor {
  int64_t arena_offset;   // first element of the tensor in the parameter arena
  int64_t first_element;  // first element of the tensor within its group
  int64_t numel;
  int32_t tensor;  // index in the ParameterStore
};

struct TargetGroup {
  int32_t first_tensor;  // into the TargetTensor table
  int32_t tensor_count;
  int64_t elements;
  uint64_t bits;  // elements * bits per element
};

class FaultTargets {
 public:
  // Throws when the selection matches no tensor, or names a layer the model does not have.
  FaultTargets(const ParameterStore& store, const TargetSelection& selection);

  const std::vector<TargetGroup>& groups() const { return groups_; }
  const std::vector<TargetTensor>& tensors() const { return tensors_; }
  const std::string& group_layer(int group) const { return layers_.at(static_cast<size_t>(group)); }
  uint32_t bit_first() const { return bit_first_; }
  uint32_t bit_count() const { return bit_count_; }
  int64_t total_elements() const;
  const TargetSelection& selection() const { return selection_; }

 private:
  TargetSelection selection_;
  std::vector<TargetGroup> groups_;
  std::vector<TargetTensor> tensors_;
  std::vector<std::string> layers_;
  uint32_t bit_first_, bit_count_;
};

}  // namespace ftcnn
