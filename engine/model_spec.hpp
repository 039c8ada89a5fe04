// The architecture of a model as data: an input shape and a list of nodes in topological order, each naming
// the nodes it reads (a DAG; the last node's output is the model's output).
//
// Layer names are PyTorch module paths ("features.0", "classifier.6"); a layer's parameters are named
// "<layer>.<tensor>" exactly as in a PyTorch state_dict, so a state_dict file and an ftcnn model file share
// tensor names. The JSON form (to_json / model_spec_from_json) is what ftcnn model files store.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "engine/tensor.hpp"

namespace ftcnn {

enum class LayerType {
  conv2d,
  linear,
  batchnorm2d,
  relu,
  relu6,       // min(max(x, 0), 6) (nn.ReLU6)
  leaky_relu,  // x > 0 ? x : x * negative_slope (nn.LeakyReLU)
  maxpool2d,
  avgpool2d,
  global_avgpool,  // mean of every channel's plane: [N, C, H, W] -> [N, C, 1, 1] (nn.AdaptiveAvgPool2d(1))
  flatten,
  dropout,
  add,     // element-wise sum of two or more same-shape inputs (a residual connection)
  concat,  // concatenation of two or more inputs along the channel (feature) dimension
  edac,    // hardening: error detection and correction after a duplicated conv2d / linear (docs/hardening.md)
  tmr_vote,  // hardening: majority voter after a triplicated conv2d / linear
};

// How many layer types there are (the last one above + 1; the op list's test walks them all).
inline constexpr int kLayerTypeCount = static_cast<int>(LayerType::tmr_vote) + 1;

// The model-file names of the types, from the op list (engine/layer_registry.cpp).
const char* layer_type_name(LayerType type);
// Throws naming the text when it is not a layer type.
LayerType layer_type_from_name(const std::string& name);

// How an edac layer corrects (docs/hardening.md): `edac` is the paper's layer with per-channel detection
// intervals; `dup_only` is the Sec. III-C baseline "duplication + EDAC without intervals".
enum class EdacMode { edac, dup_only };

const char* edac_mode_name(EdacMode mode);  // "edac", "dup-only"
// Throws naming the text when it is not a mode.
EdacMode edac_mode_from_name(const std::string& name);

// The name a node uses for the model's input in its `inputs`; no node may take it.
inline constexpr const char* kModelInputName = "input";

// What one node's op stores beyond its name, type and inputs: each op with fields of its own defines a
// final subclass beside its class (Conv2dAttributes in engine/layers/conv2d.hpp, ...); the shapes several
// ops share (channel counts, a window, a list of copied channels) are in engine/layers/attributes.hpp.
struct OpAttributes {
  virtual ~OpAttributes() = default;
  virtual std::unique_ptr<OpAttributes> clone() const = 0;
};

// The base of a final attribute type `Derived`: its clone, on top of `Base` (OpAttributes or a shared shape).
template <typename Derived, typename Base = OpAttributes>
struct AttributesOf : Base {
  std::unique_ptr<OpAttributes> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

// An owned OpAttributes with value semantics (a copy clones), so that a LayerSpec copies like plain data.
class AttributeSlot {
 public:
  AttributeSlot() = default;
  AttributeSlot(const AttributeSlot& other) : value_(other.value_ ? other.value_->clone() : nullptr) {}
  AttributeSlot(AttributeSlot&&) noexcept = default;
  AttributeSlot& operator=(const AttributeSlot& other) {
    if (this != &other) value_ = other.value_ ? other.value_->clone() : nullptr;
    return *this;
  }
  AttributeSlot& operator=(AttributeSlot&&) noexcept = default;
  ~AttributeSlot() = default;

  OpAttributes* get() const { return value_.get(); }
  void reset(std::unique_ptr<OpAttributes> value) { value_ = std::move(value); }

 private:
  std::unique_ptr<OpAttributes> value_;
};

struct LayerSpec {
  std::string name;
  LayerType type = LayerType::relu;
  // The nodes whose outputs this node reads, by name (kModelInputName: the model input), each earlier in
  // the list. Empty: the node before it (the model input for the first), so a chain names nothing.
  std::vector<std::string> inputs;
  // The op's own fields (its read_attributes fills them); empty for an op that has none.
  AttributeSlot attributes;

  // The attributes as `A` (the op's own type, or a shared base such as ChannelAttributes); throws naming
  // the node when its op has none of that kind.
  template <typename A>
  const A& attrs() const {
    const A* a = find_attrs<A>();
    if (a == nullptr) missing_attributes(typeid(A).name());
    return *a;
  }
  template <typename A>
  A& attrs() {
    return const_cast<A&>(static_cast<const LayerSpec&>(*this).attrs<A>());
  }
  // nullptr when the op's attributes are not an `A`.
  template <typename A>
  const A* find_attrs() const {
    return dynamic_cast<const A*>(attributes.get());
  }
  // Gives the node a fresh `A` and returns it.
  template <typename A>
  A& set_attrs(A value = {}) {
    auto owned = std::make_unique<A>(std::move(value));
    A& ref = *owned;
    attributes.reset(std::move(owned));
    return ref;
  }

 private:
  [[noreturn]] void missing_attributes(const char* wanted) const;
};

struct ModelSpec {
  std::string arch;         // "vgg11", "alexnet", ... (informational)
  Shape input{3, 32, 32};   // one item: [channels, height, width], or [features]
  int64_t num_classes = 0;  // width of the last layer's output; 0 for a model that is not a classifier
  std::vector<LayerSpec> layers;
};

// Format version 2 writes every node's inputs; version 1 (a chain, no "inputs") still reads.
std::string model_spec_to_json(const ModelSpec& spec);
// `origin` names the file the text came from, for error messages. `format_version` is the model file's:
// version 2 needs every node's (non-empty) "inputs"; version 1 is a chain, with no "inputs" and no joins.
ModelSpec model_spec_from_json(const std::string& text, const std::string& origin,
                               int64_t format_version = 2);

// Convenience constructors used by the architecture builders in models/; the op's attributes are
// engine/layers/<op>.hpp's (spec.attrs<Conv2dAttributes>() and so on).
LayerSpec conv2d_spec(std::string name, int64_t in, int64_t out, int64_t kernel, int64_t stride,
                      int64_t padding, bool bias);
LayerSpec linear_spec(std::string name, int64_t in, int64_t out, bool bias = true);
LayerSpec batchnorm2d_spec(std::string name, int64_t channels, double eps = 1e-5);
LayerSpec pool_spec(std::string name, LayerType type, int64_t kernel, int64_t stride, int64_t padding = 0);
// A node of `type` with its op's default attributes.
LayerSpec simple_spec(std::string name, LayerType type);
// An add or concat node over the named inputs.
LayerSpec join_spec(std::string name, LayerType type, std::vector<std::string> inputs);

// The inputs of every node as indices (-1: the model input), empty `inputs` resolved to the node before.
// Throws naming the node when an input names no earlier node, or when two nodes share a name.
std::vector<std::vector<int>> resolve_inputs(const ModelSpec& spec);
// True when every node reads only the node before it (the model input for the first): a sequential model.
bool is_chain(const ModelSpec& spec);
// An edac layer over `channels` outputs whose channels `duplicated` have one copy each.
LayerSpec edac_spec(std::string name, int64_t channels, std::vector<int64_t> duplicated, EdacMode mode);
// A voter over `channels` outputs whose channels `triplicated` have two copies each.
LayerSpec tmr_vote_spec(std::string name, int64_t channels, std::vector<int64_t> triplicated);

}  // namespace ftcnn
