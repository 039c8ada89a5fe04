// All parameters of a model in one flat float32 arena, each tensor a named slice of it.
//
// One arena (instead of one allocation per tensor) is what makes fault injection, exact restore and
// checksums a single pass over one buffer on either device. Tensors keep the names PyTorch gives them in a
// state_dict ("features.0.weight"), and their order is the order the layers declare them. Offsets are
// aligned to kAlignFloats so every tensor starts on a 256-byte boundary on the GPU; the padding between
// tensors holds zeros and is not a parameter.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/tensor.hpp"

namespace ftcnn {

enum class ParamKind {
  weight,           // conv / linear weight
  bias,             // conv / linear bias
  bn_weight,        // BatchNorm gamma
  bn_bias,          // BatchNorm beta
  bn_running_mean,  // BatchNorm running mean
  bn_running_var,   // BatchNorm running variance
  edac_lower,       // EDAC detection interval, lower bounds (docs/hardening.md)
  edac_upper,       // EDAC detection interval, upper bounds
};

const char* param_kind_name(ParamKind kind);
// Throws naming the text when it is not a kind.
ParamKind param_kind_from_name(const std::string& name);
// Trainable parameters are what PyTorch's model.parameters() counts; BatchNorm running statistics and EDAC
// interval bounds are buffers. All are float32 memory and all are fault-injection targets.
bool is_trainable(ParamKind kind);

struct ParameterInfo {
  std::string name;   // state_dict key, e.g. "features.1.running_var"
  std::string layer;  // owning layer, e.g. "features.1"
  ParamKind kind;
  Shape shape;
  int64_t offset = 0;  // first element in the arena
  int64_t numel() const { return shape.numel(); }
};

class ParameterStore {
 public:
  static constexpr int64_t kAlignFloats = 64;

  // Adds a zero-filled tensor and returns its index. Names are unique.
  int add(std::string name, std::string layer, ParamKind kind, Shape shape);

  int size() const { return static_cast<int>(infos_.size()); }
  const ParameterInfo& info(int index) const { return infos_.at(static_cast<size_t>(index)); }
  const std::vector<ParameterInfo>& infos() const { return infos_; }
  // Index of a tensor by name, or -1.
  int find(const std::string& name) const;

  float* host(int index) { return arena_.data() + info(index).offset; }
  const float* host(int index) const { return arena_.data() + info(index).offset; }
  std::vector<float>& arena() { return arena_; }
  const std::vector<float>& arena() const { return arena_; }

  // Elements of trainable tensors (PyTorch's parameter count) and of all tensors (buffers included).
  int64_t trainable_parameters() const;
  int64_t total_elements() const;
  // FNV-1a 64 over the bit patterns of every parameter (padding excluded), in store order; the second form
  // reads another copy of the arena laid out like this one (a device arena copied back).
  uint64_t checksum() const { return checksum(arena_.data()); }
  uint64_t checksum(const float* arena) const;
  // checksum() as the 16 lowercase hex digits every result file records ("ac1f7328f66e25f2").
  std::string checksum_hex() const;

 private:
  std::vector<ParameterInfo> infos_;
  std::unordered_map<std::string, int> by_name_;
  std::vector<float> arena_;
};

// The parameters as seen by a layer while it runs: the arena base on the executing device plus the offsets.
class ParameterView {
 public:
  ParameterView(const ParameterStore& store, const float* base) : store_(&store), base_(base) {}
  const float* operator()(int index) const { return base_ + store_->info(index).offset; }

 private:
  const ParameterStore* store_;
  const float* base_;
};

}  // namespace ftcnn
